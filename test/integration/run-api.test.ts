import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../automation/api/auth";
import { loadConfig } from "../../automation/config";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import { type RunningServer, start } from "../../automation/server";
import { startFerretdb, startRedis, type TestService } from "../support/services";
import { serveGitOverHttp } from "./support/git-http-server";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  useTestEnvironment,
  testEnvironmentEngine,
} from "./support/testenv";

/**
 * The whole path as a client sees it, with nothing faked: POST /runs on the Run API (real Redis,
 * real FerretDB) → a worker drives the real Pulumi engine → the events stream shows every state →
 * READY with a preview that answers → DELETE → DESTROYED, and nothing is left in the cluster or in
 * the stack list.
 */
const TOKEN = "e2e-token-0123456789abcdef";
let server: RunningServer;
let redis: TestService;
let mongo: TestService;
let git: Awaited<ReturnType<typeof serveGitOverHttp>>;
let engine: PulumiRunEngine;
let base: string;
let helloRepo: string;

const call = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
};

/** Reads the run's Server-Sent Events until the stream closes or `until` is seen. */
async function readEvents(id: string, until: string, timeoutMs: number): Promise<string[]> {
  const response = await fetch(`${base}/runs/${id}/events`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const states: string[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const frames = buffer.split("\n\n");
    buffer = frames.pop() ?? "";
    for (const frame of frames) {
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (!/^event: state$/m.test(frame) || !data) continue;
      const { status } = JSON.parse(data) as { status: string };
      if (states.at(-1) !== status) states.push(status);
    }
    if (states.includes(until)) break;
  }
  return states;
}

beforeAll(async () => {
  const env = useTestEnvironment();
  [redis, mongo] = await Promise.all([startRedis(), startFerretdb()]);
  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-git-"));
  git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  helloRepo = path.join(reposRoot, "hello.git");
  fs.renameSync(repo.dir, helloRepo);
  engine = testEnvironmentEngine(env);
  server = await start({
    engine,
    config: loadConfig({
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `e2e=sha256:${hashToken(TOKEN)}`,
      REPORUNNER_WORKERS: "1",
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      // The fixture repository is served over plain HTTP on loopback.
      REPORUNNER_ALLOW_HTTP: "true",
      REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOG_LEVEL: "warn",
    }),
  });
  base = server.url;
});

afterAll(async () => {
  await server?.stop();
  await git?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

describe("the Run API on the real engine", () => {
  let id: string;

  it("runs a repository from POST to READY, showing every state on the event stream", async () => {
    const created = await call("POST", "/runs", { repoUrl: git.url(helloRepo), ref: "main" });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe("QUEUED");
    id = created.body.id;
    const states = await readEvents(id, "READY", 600_000);
    const run = (await call("GET", `/runs/${id}`)).body;
    expect(states, `run ended ${run.status}: ${run.reason ?? ""}`).toEqual([
      "QUEUED",
      "CLONING",
      "BUILDING",
      "DEPLOYING",
      "READY",
    ]);
    expect(run.commitSha).toMatch(/^[0-9a-f]{40}$/);
    const preview = Object.values(run.previewUrls as Record<string, string>)[0];
    expect((await bodyOf(preview))?.trim()).toBe("hello from reporunner");
  });

  it("destroys the run on DELETE and leaves nothing in the cluster or the stack list", async () => {
    expect((await call("DELETE", `/runs/${id}`)).status).toBe(202);
    const run = await eventually(
      "the run to be DESTROYED",
      async () => {
        const current = (await call("GET", `/runs/${id}`)).body;
        return current.status === "DESTROYED" ? current : undefined;
      },
      300_000,
    );
    expect(run.status).toBe("DESTROYED");
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${id}`);
    expect(await engine.listRunStacks()).not.toContain(id);
  });
});
