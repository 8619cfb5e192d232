import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { hashToken } from "../automation/api/auth";
import { startFerretdb, startRedis } from "../test/support/services";
import { PROJECT_DIR } from "../test/integration/support/testenv";
import { treeRss } from "./process-rss";

/**
 * The Run API as `npm run api` starts it (`bin/api.js`), alone in its own process with its default two
 * worker loops and the real engine adapter, over a fresh Redis and FerretDB: its resident memory once
 * it has listened and sat idle for `settleMs` (what a user's machine keeps paying while nothing
 * runs), and the same with its child processes (the engine's warm program hosts).
 */
export async function idleApiRssMiB(
  env: Record<string, string>,
  settleMs = 5_000,
): Promise<{ api: number; withChildren: number; children: number }> {
  const [redis, mongo] = await Promise.all([startRedis(), startFerretdb()]);
  const home = fs.mkdtempSync(`${PROJECT_DIR}/.bench-home-`);
  const child = spawn(process.execPath, ["bin/api.js"], {
    cwd: PROJECT_DIR,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      REPORUNNER_HOME: home,
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `bench=sha256:${hashToken("bench-idle-token-0123456789")}`,
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOG_LEVEL: "info",
    },
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  try {
    // pino's start-up line on stdout says when it listens.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not listen in 60 s: ${stderr}`)), 60_000);
      child.once("exit", (code) => reject(new Error(`the API exited (${code}): ${stderr}`)));
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("reporunner API listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, settleMs));
    const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
    const tree = treeRss(child.pid!);
    return { api: Math.round(kb / 1024), withChildren: tree.mib, children: tree.descendants };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(undefined)));
    await Promise.all([redis.dispose(), mongo.dispose()]);
    fs.rmSync(home, { recursive: true, force: true });
  }
}
