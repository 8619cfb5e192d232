import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { hashToken } from "../automation/api/auth";
import { freePort, startFerretdb, startRedis } from "../test/support/services";
import { PROJECT_DIR } from "../test/integration/support/testenv";
import { treeRss } from "./process-rss";

/**
 * The Run API as `npm run api` starts it (`bin/api.js`, the compiled bundle), alone in its own process
 * over a fresh Redis and FerretDB: what a user runs, without the bench's heap, tsx and harness beside it.
 */
export interface ApiProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM (the API finishes what it holds), then drops Redis and FerretDB with their data. */
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  /** The bearer token the API accepts. */
  readonly token: string;
  /** FerretDB's backend (default PostgreSQL, the target's). */
  readonly backend?: "sqlite" | "postgresql";
  /** More `REPORUNNER_*` settings, over the defaults (the real engine, info logs). */
  readonly settings?: Record<string, string>;
}

/** Starts the API process and resolves once it answers `/healthz`. */
export async function startApiProcess(
  env: Record<string, string>,
  { token, backend = "postgresql", settings = {} }: ApiProcessOptions,
): Promise<ApiProcess> {
  const [redis, mongo, port] = await Promise.all([startRedis(), startFerretdb(backend), freePort()]);
  const home = fs.mkdtempSync(`${PROJECT_DIR}/.bench-home-`);
  const child = spawn(process.execPath, ["bin/api.js"], {
    cwd: PROJECT_DIR,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      REPORUNNER_HOME: home,
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: String(port),
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `bench=sha256:${hashToken(token)}`,
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOG_LEVEL: "info",
      ...settings,
    },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await Promise.all([redis.dispose(), mongo.dispose()]);
    fs.rmSync(home, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    // Polled rather than read from the start-up log line: at the bench's log level there is none.
    for (const deadline = Date.now() + 60_000; ;) {
      if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the API did not listen in 60 s: ${stderr}`);
      const up = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid!, stop };
}

/**
 * The API process with its default worker loops and the real engine adapter, idle for `settleMs` once
 * it listens: its resident memory (what a user's machine keeps paying while nothing runs), and the same
 * with its child processes (the engine's warm program hosts).
 */
export async function idleApiRssMiB(
  env: Record<string, string>,
  settleMs = 5_000,
): Promise<{ api: number; withChildren: number; children: number }> {
  const api = await startApiProcess(env, { token: "bench-idle-token-0123456789" });
  try {
    await new Promise((r) => setTimeout(r, settleMs));
    const status = fs.readFileSync(`/proc/${api.pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
    const tree = treeRss(api.pid);
    return { api: Math.round(kb / 1024), withChildren: tree.mib, children: tree.descendants };
  } finally {
    await api.stop();
  }
}
