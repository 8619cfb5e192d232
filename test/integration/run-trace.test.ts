import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../automation/api/auth";
import { loadConfig } from "../../automation/config";
import { type RunningServer, start } from "../../automation/server";
import { type JaegerInstance, startJaeger } from "../support/jaeger";
import { startFerretdb, startRedis, type TestService } from "../support/services";
import { serveGitOverHttp } from "./support/git-http-server";
import {
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  testEnvironmentEngine,
  useTestEnvironment,
} from "./support/testenv";

/**
 * Every run traced, with nothing faked: the Run API (real Redis, real FerretDB) exports over OTLP to a
 * real Jaeger v2; a worker drives the real Pulumi engine on the test cluster through a three-service
 * compose run; the trace is read back from Jaeger's query API and its spans must nest as a run does.
 * Then the destroy, a trace of its own that links to the run's.
 */
const TOKEN = "trace-token-0123456789abcdef";
let server: RunningServer;
let jaeger: JaegerInstance;
let redis: TestService;
let mongo: TestService;
let git: Awaited<ReturnType<typeof serveGitOverHttp>>;
let base: string;
let repoUrl: string;
const logLines: Record<string, unknown>[] = [];

const call = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
};

/** A span as Jaeger's query API (`/api/traces/<id>`) gives it. */
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; value: unknown }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

async function readTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
  if (!response.ok) return undefined;
  return ((await response.json()) as { data: JaegerTrace[] }).data[0];
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const parentId = (span: JaegerSpan) => span.references.find((r) => r.refType === "CHILD_OF")?.spanID;
const end = (span: JaegerSpan) => span.startTime + span.duration;
/**
 * The SDK starts a span at Date.now() (whole milliseconds) and measures its duration with the
 * high-resolution clock, so a span that starts right after another ends may show up to 1 ms early.
 */
const CLOCK_SLACK_US = 1000;

/** Spans of a trace by name, with their parents. */
function tree(trace: JaegerTrace) {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const all = (name: string) => trace.spans.filter((s) => s.operationName === name);
  const one = (name: string) => {
    const found = all(name);
    expect(
      found.map((s) => s.operationName),
      `spans named "${name}"`,
    ).toEqual([name]);
    return found[0]!;
  };
  const parentName = (span: JaegerSpan) => byId.get(parentId(span) ?? "")?.operationName ?? null;
  return { all, one, parentName };
}

beforeAll(async () => {
  const env = useTestEnvironment();
  [jaeger, redis, mongo] = await Promise.all([startJaeger(), startRedis(), startFerretdb()]);
  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-git-"));
  git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "three-tier"));
  fs.renameSync(repo.dir, path.join(reposRoot, "three-tier.git"));
  repoUrl = git.url(path.join(reposRoot, "three-tier.git"));
  server = await start({
    engine: testEnvironmentEngine(env),
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    }),
    config: loadConfig({
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `trace=sha256:${hashToken(TOKEN)}`,
      REPORUNNER_WORKERS: "1",
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      REPORUNNER_ALLOW_HTTP: "true",
      REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOCAL_PREVIEWS: "false",
      REPORUNNER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
      // Jaeger's query service serves its UI too: the trace page is `<ui>/trace/<id>`.
      REPORUNNER_JAEGER_UI_URL: jaeger.queryUrl,
      // The engine's output lines are debug lines: they show the trace context on log lines.
      REPORUNNER_LOG_LEVEL: "debug",
    }),
  });
  base = server.url;
});

afterAll(async () => {
  await server?.stop();
  await git?.close();
  await Promise.all([jaeger?.stop(), redis?.stop(), mongo?.stop()]);
});

describe("a run's trace in Jaeger", () => {
  let id: string;
  let traceId: string;

  it("gives the run's trace id and its Jaeger page once the run is READY", async () => {
    const created = await call("POST", "/runs", { repoUrl, ref: "main" });
    expect(created.status).toBe(202);
    id = created.body.id;
    const run = await eventually(
      "the run to settle",
      async () => {
        const { body } = await call("GET", `/runs/${id}`);
        return ["READY", "FAILED"].includes(body.status) ? body : undefined;
      },
      600_000,
    );
    expect(run.status, run.reason ?? "").toBe("READY");
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    traceId = run.traceId;
    expect(run.traceUrl).toBe(`${jaeger.queryUrl}/trace/${traceId}`);
  });

  it("nests the run's spans as the run went: queue, deploy, clone, pulumi up with its steps, preview check", async () => {
    // Every span has ended by READY; the batch goes out within a second or two.
    const trace = await eventually("the run's spans in Jaeger", async () => {
      const found = await readTrace(traceId);
      const names = new Set(found?.spans.map((s) => s.operationName));
      // The deploy span ends just after READY is written.
      return names.has("preview check") && names.has("deploy") ? found : undefined;
    });
    const { all, one, parentName } = tree(trace);

    const run = one("run");
    expect(run.references).toEqual([]);
    expect(tag(run, "reporunner.run.id")).toBe(id);
    expect(trace.processes[run.processID]?.serviceName).toBe("reporunner-api");

    for (const [child, parent] of [
      ["queue wait", "run"],
      ["deploy", "run"],
      ["clone", "deploy"],
      ["stack config", "deploy"],
      ["resume workloads", "deploy"],
      ["pulumi up", "deploy"],
      ["preview check", "deploy"],
      ["translate", "pulumi up"],
    ] as const) {
      expect(parentName(one(child)), `parent of "${child}"`).toBe(parent);
    }
    expect(tag(one("deploy"), "reporunner.run.id")).toBe(id);
    expect(tag(one("deploy"), "reporunner.run.status")).toBe("READY");
    expect(tag(one("clone"), "vcs.ref.head.revision")).toMatch(/^[0-9a-f]{40}$/);
    expect(Number(tag(one("pulumi up"), "pulumi.resource_count"))).toBeGreaterThan(10);

    // One image per service, each built then loaded; one rollout per Deployment.
    const images = all("image");
    expect(images.map((s) => tag(s, "reporunner.service")).sort()).toEqual(["api", "store", "web"]);
    for (const image of images) expect(parentName(image)).toBe("pulumi up");
    const builds = all("image build");
    // Images the pods pull (the waits' busybox) may be loaded too, straight under the update.
    const loads = all("image load").filter((s) => parentName(s) === "image");
    expect(builds).toHaveLength(3);
    expect(loads).toHaveLength(3);
    for (const span of builds) expect(parentName(span)).toBe("image");
    for (const span of all("image load")) expect(["image", "pulumi up"]).toContain(parentName(span));
    for (const load of loads) {
      const build = builds.find((b) => parentId(b) === parentId(load))!;
      expect(load.startTime + CLOCK_SLACK_US).toBeGreaterThanOrEqual(end(build));
    }
    const rollouts = all("rollout");
    expect(rollouts.map((s) => tag(s, "reporunner.workload")).sort()).toEqual([
      "Deployment/api",
      "Deployment/store",
      "Deployment/web",
    ]);
    for (const rollout of rollouts) expect(parentName(rollout)).toBe("pulumi up");

    // In time, too: queued before taken, cloned before the update, previews checked after it.
    expect(end(one("queue wait"))).toBeLessThanOrEqual(one("clone").startTime + CLOCK_SLACK_US);
    expect(end(one("clone"))).toBeLessThanOrEqual(one("pulumi up").startTime + CLOCK_SLACK_US);
    // The wait for a warm program host, when the engine runs the program in one, comes before the update.
    for (const wait of all("program host")) {
      expect(parentName(wait)).toBe("deploy");
      expect(end(wait)).toBeLessThanOrEqual(one("pulumi up").startTime + CLOCK_SLACK_US);
    }
    expect(end(one("pulumi up"))).toBeLessThanOrEqual(one("preview check").startTime + CLOCK_SLACK_US);
    // A workload rolls out after its image is loaded (the Deployments depend on the builds).
    const lastLoad = Math.max(...loads.map(end));
    for (const rollout of rollouts)
      expect(rollout.startTime + CLOCK_SLACK_US).toBeGreaterThanOrEqual(lastLoad);
  });

  it("puts the trace context on the log lines written inside the run's spans", () => {
    const traced = logLines.filter((l) => l.runId === id && l.msg === "engine output");
    expect(traced.length).toBeGreaterThan(0);
    for (const line of traced) expect(line.trace_id).toBe(traceId);
    expect(new Set(traced.map((l) => l.span_id)).size).toBeGreaterThan(1);
  });

  it("gives a redeploy a trace of its own, linked to the run's first", async () => {
    const first = traceId;
    expect((await call("POST", `/runs/${id}/redeploy`)).status).toBe(202);
    const run = await eventually(
      "the redeploy to settle",
      async () => {
        const { body } = await call("GET", `/runs/${id}`);
        return ["READY", "FAILED"].includes(body.status) && body.traceId !== first ? body : undefined;
      },
      600_000,
    );
    expect(run.status, run.reason ?? "").toBe("READY");
    traceId = run.traceId;
    const trace = await eventually("the redeploy's spans in Jaeger", async () => {
      const found = await readTrace(traceId);
      return found?.spans.some((s) => s.operationName === "deploy") ? found : undefined;
    });
    const { one, parentName } = tree(trace);
    const root = one("run");
    expect(tag(root, "reporunner.run.redeploy")).toBe(true);
    expect(root.references.map((r) => [r.refType, r.traceID])).toEqual([["FOLLOWS_FROM", first]]);
    expect(parentName(one("deploy"))).toBe("run");
    expect(parentName(one("pulumi up"))).toBe("deploy");
  });

  it("traces the destroy on its own, linked to the run's trace", async () => {
    expect((await call("DELETE", `/runs/${id}`)).status).toBe(202);
    await eventually(
      "the run to be destroyed",
      async () => ((await call("GET", `/runs/${id}`)).body.status === "DESTROYED" ? true : undefined),
      300_000,
    );
    const tags = encodeURIComponent(JSON.stringify({ "reporunner.run.id": id }));
    const destroy = await eventually("the destroy's trace in Jaeger", async () => {
      const response = await fetch(
        `${jaeger.queryUrl}/api/traces?service=reporunner-api&operation=destroy&tags=${tags}`,
      );
      const { data } = (await response.json()) as { data: JaegerTrace[] };
      const found = data.find((t) => t.traceID !== traceId);
      return found?.spans.some((s) => s.operationName === "pulumi destroy") ? found : undefined;
    });
    const { one, parentName } = tree(destroy);
    const root = one("destroy");
    expect(root.references.filter((r) => r.refType === "CHILD_OF")).toEqual([]);
    expect(root.references.map((r) => r.traceID)).toContain(traceId);
    expect(tag(root, "reporunner.run.status")).toBe("DESTROYED");
    expect(parentName(one("pulumi destroy"))).toBe("destroy");
  });
});
