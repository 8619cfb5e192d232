import { hashToken } from "../automation/api/auth";
import { loadConfig } from "../automation/config";
import type { PulumiRunEngine } from "../automation/engine/pulumi-run-engine";
import { type RunningServer, start } from "../automation/server";
import { startFerretdb, startRedis } from "../test/support/services";
import { testEnvironmentEngine } from "../test/integration/support/testenv";

/** The Run API in this process on 127.0.0.1, over its own fresh Redis and FerretDB. */
export const TOKEN = "bench-token-0123456789abcdef";

export interface BenchApi {
  readonly server: RunningServer;
  readonly url: string;
  call(method: string, route: string, body?: unknown): Promise<{ status: number; body: RunView }>;
  stop(): Promise<void>;
}

/** The fields of a run this bench reads. */
export interface RunView {
  id: string;
  status: string;
  reason?: string | null;
  createdAt: string;
  history: { to: string; at: string }[];
}

export function realEngine(env: Record<string, string>, workers = 1): PulumiRunEngine {
  // One program host per worker, as `createRunEngine` sizes them.
  return testEnvironmentEngine(env, { programHosts: Math.max(1, workers) });
}

/**
 * Starts Redis, FerretDB (on PostgreSQL unless told otherwise: see `startFerretdb`) and the API with
 * `workers` in-process worker loops; no rate limit to speak of.
 */
export async function startApi(
  env: Record<string, string>,
  engine: PulumiRunEngine,
  workers: number,
  backend: "sqlite" | "postgresql" = "postgresql",
): Promise<BenchApi> {
  const [redis, mongo] = await Promise.all([startRedis(), startFerretdb(backend)]);
  const server = await start({
    engine,
    config: loadConfig({
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `bench=sha256:${hashToken(TOKEN)}`,
      REPORUNNER_WORKERS: String(workers),
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      REPORUNNER_RATE_LIMIT_PER_MINUTE: "1000000",
      // The fixture repository is served over plain HTTP on loopback.
      REPORUNNER_ALLOW_HTTP: "true",
      REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOG_LEVEL: "error",
    }),
  });
  const call: BenchApi["call"] = async (method, route, body) => {
    const response = await fetch(`${server.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as RunView };
  };
  return {
    server,
    url: server.url,
    call,
    async stop() {
      await server.stop();
      await Promise.all([redis.dispose(), mongo.dispose()]);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a run until it reaches `state`; fails at once when it ends in another final state. */
export async function waitFor(api: BenchApi, id: string, state: string, timeoutMs: number): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body: run } = await api.call("GET", `/runs/${id}`);
    if (run.status === state) return run;
    if (["FAILED", "CANCELLED", "DESTROYED", "EXPIRED"].includes(run.status))
      throw new Error(`run ${id} ended ${run.status} waiting for ${state}: ${run.reason ?? ""}`);
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await sleep(1_000);
  }
}

/** When the run entered `state`, from its own history (milliseconds since the epoch). */
export function enteredAt(run: RunView, state: string): number {
  const step = run.history.find((h) => h.to === state);
  if (!step) throw new Error(`run ${run.id} never entered ${state}`);
  return Date.parse(step.at);
}
