/**
 * An API server on port 0 against real Redis and FerretDB and the fake engine, with two owners
 * (alice, bob) and a log capture. One per test file: `const h = await startHarness()` in `beforeAll`,
 * `await h.close()` in `afterAll`.
 */
import { Writable } from "node:stream";
import { hashToken } from "../../automation/api/auth";
import { loadConfig, type Config } from "../../automation/config";
import type { Resolver } from "../../automation/runs/url-policy";
import type { WorkloadLogs } from "../../automation/runs/workload-logs";
import { start, type RunningServer } from "../../automation/server";
import { FakeEngine } from "./fake-engine";
import { startFerretdb, startRedis, type TestService } from "./services";

export const TOKENS = { alice: "alice-token-0123456789abcdef", bob: "bob-token-0123456789abcdef" } as const;

/** Resolves `*.example.test` to a public documentation-free address and `*.internal.test` to private ones. */
export const testResolver: Resolver = async (host) => {
  if (host.endsWith(".internal.test")) return ["93.184.216.34", "10.0.0.7"];
  if (host.endsWith(".v6internal.test")) return ["fd00::1"];
  if (host.endsWith(".nxdomain.test")) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
  if (host === "localhost") return ["127.0.0.1", "::1"];
  return ["93.184.216.34"];
};

/** Workload logs that answer from memory. */
export class MemoryLogs implements WorkloadLogs {
  lines = ["app-1 app: listening on :8080", "app-1 app: GET / 200"];
  async tail(_runId: string, _namespace: string, lines: number): Promise<string[]> {
    return this.lines.slice(-lines);
  }
}

/** A started harness. */
export interface Harness {
  readonly server: RunningServer;
  readonly engine: FakeEngine;
  readonly redis: TestService;
  readonly mongo: TestService;
  readonly config: Config;
  readonly logs: MemoryLogs;
  /** Every log line written so far (JSON text). */
  logText(): string;
  call(
    method: string,
    path: string,
    options?: {
      token?: string | null;
      body?: unknown;
      raw?: string | Buffer;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  /** Polls GET /runs/:id until `predicate` holds (default timeout 15 s). */
  waitFor(id: string, predicate: (run: any) => boolean, token?: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

/** Starts Redis, FerretDB and the server; `env` overrides configuration variables. */
export async function startHarness(
  env: Record<string, string> = {},
  options: { engine?: FakeEngine; services?: { redis: TestService; mongo: TestService } } = {},
): Promise<Harness> {
  const redis = options.services?.redis ?? (await startRedis());
  const mongo = options.services?.mongo ?? (await startFerretdb());
  const engine = options.engine ?? new FakeEngine(40);
  const config = loadConfig({
    REPORUNNER_HOST: "127.0.0.1",
    REPORUNNER_PORT: "0",
    REPORUNNER_MONGODB_URL: mongo.url,
    REPORUNNER_REDIS_URL: redis.url,
    REPORUNNER_TOKENS: `alice=sha256:${hashToken(TOKENS.alice)},bob=sha256:${hashToken(TOKENS.bob)}`,
    REPORUNNER_WORKERS: "2",
    REPORUNNER_SWEEP_INTERVAL_MS: "0",
    REPORUNNER_RATE_LIMIT_PER_MINUTE: "100000",
    REPORUNNER_SSE_HEARTBEAT_MS: "300",
    REPORUNNER_SHUTDOWN_GRACE_MS: "2000",
    REPORUNNER_LOG_LEVEL: "debug",
    ...env,
  });
  let captured = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += chunk.toString();
      cb();
    },
  });
  const logs = new MemoryLogs();
  const server = await start({
    config,
    engine,
    logs,
    resolver: testResolver,
    logDestination: sink,
    workerOptions: { pollMs: 100, blockMs: 500 },
    ssePollMs: 50,
  });
  await server.runtime.initialised;

  const call: Harness["call"] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? TOKENS.alice : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(server.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  const waitFor: Harness["waitFor"] = async (id, predicate, token = TOKENS.alice, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const r = await call("GET", `/runs/${id}`, { token });
      last = r.body;
      if (r.status === 200 && predicate(r.body)) return r.body;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`run ${id} did not reach the expected state; last: ${JSON.stringify(last)}`);
  };

  return {
    server,
    engine,
    redis,
    mongo,
    config,
    logs,
    logText: () => captured,
    call,
    waitFor,
    async close() {
      await server.stop();
      if (!options.services) {
        await redis.dispose();
        await mongo.dispose();
      }
    },
  };
}
