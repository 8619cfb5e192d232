/**
 * Crash: a worker process is killed with SIGKILL in the middle of a deploy. Another worker claims the
 * job after the visibility timeout, clears the stale lock (RunEngine.cancel) and finishes the run, or
 * fails it cleanly with a reason once it has been interrupted too often.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/api-harness";

const ROOT = join(__dirname, "..", "..", "..");
let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The API alone: every job is done by the worker processes below.
  h = await startHarness({ REPORUNNER_WORKERS: "0" });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await h?.close();
});

/** `npm run worker` with the fake engine, slow enough to be killed mid-deploy. */
function startWorker(env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", join(ROOT, "automation", "worker-main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      REPORUNNER_MONGODB_URL: h.mongo.url,
      REPORUNNER_REDIS_URL: h.redis.url,
      REPORUNNER_ENGINE_MODULE: join(ROOT, "test", "support", "fake-engine.ts"),
      FAKE_ENGINE_PHASE_MS: "1500",
      REPORUNNER_WORKERS: "1",
      REPORUNNER_VISIBILITY_TIMEOUT_MS: "3000",
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      REPORUNNER_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function killMidDeploy(): Promise<string> {
  const first = startWorker();
  const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
  await h.waitFor(body.id, (r) => r.status === "BUILDING", undefined, 30_000);
  first.child.kill("SIGKILL");
  await new Promise((r) => first.child.once("exit", r));
  return body.id;
}

describe("a worker killed mid-deploy", () => {
  it("leaves a job that another worker claims, cancels the stale lock for, and finishes", async () => {
    const id = await killMidDeploy();
    const second = startWorker();
    const run = await h.waitFor(id, (r) => r.status === "READY", undefined, 45_000);
    expect(run.history.some((t: any) => /resumed after worker .* stopped/.test(t.reason ?? ""))).toBe(true);
    expect(run.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(second.output()).toContain("taking over a run whose worker stopped");
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });

  it("fails the run with a reason when it may not be resumed again", async () => {
    const id = await killMidDeploy();
    const second = startWorker({ REPORUNNER_MAX_ATTEMPTS: "1" });
    const run = await h.waitFor(id, (r) => r.status === "FAILED", undefined, 45_000);
    expect(run.reason).toMatch(/worker stopped 1 times/);
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });

  it("hands an in-flight job back on SIGTERM so the next worker resumes it at once", async () => {
    const first = startWorker({
      REPORUNNER_SHUTDOWN_GRACE_MS: "200",
      REPORUNNER_VISIBILITY_TIMEOUT_MS: "60000",
    });
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    await h.waitFor(body.id, (r) => r.status === "CLONING" || r.status === "BUILDING", undefined, 30_000);
    first.child.kill("SIGTERM");
    const code = await new Promise((r) => first.child.once("exit", r));
    expect(code).toBe(0);
    // A 60 s visibility timeout: finishing well before it shows the job was handed back, not abandoned.
    const started = Date.now();
    const second = startWorker({ REPORUNNER_VISIBILITY_TIMEOUT_MS: "60000" });
    await h.waitFor(body.id, (r) => r.status === "READY", undefined, 40_000);
    expect(Date.now() - started).toBeLessThan(40_000);
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });

  it("hands an in-flight destroy back on SIGTERM instead of waiting for it, and the next worker finishes it", async () => {
    // A destroy that would take a minute (a namespace slow to go): shutdown must not wait for it.
    const first = startWorker({
      FAKE_ENGINE_PHASE_MS: "50",
      FAKE_ENGINE_DESTROY_MS: "60000",
      REPORUNNER_SHUTDOWN_GRACE_MS: "200",
      REPORUNNER_VISIBILITY_TIMEOUT_MS: "60000",
    });
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    await h.waitFor(body.id, (r) => r.status === "READY", undefined, 30_000);
    expect((await h.call("DELETE", `/runs/${body.id}`)).status).toBe(202);
    await h.waitFor(body.id, (r) => r.status === "DESTROYING", undefined, 30_000);
    const stopping = Date.now();
    first.child.kill("SIGTERM");
    const code = await new Promise((r) => first.child.once("exit", r));
    expect(code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(15_000);
    const second = startWorker({ FAKE_ENGINE_PHASE_MS: "50", REPORUNNER_VISIBILITY_TIMEOUT_MS: "60000" });
    await h.waitFor(body.id, (r) => r.status === "DESTROYED", undefined, 40_000);
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });
});
