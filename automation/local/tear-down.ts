import * as fs from "node:fs";
import IORedis from "ioredis";
import { MongoClient } from "mongodb";
import { loadConfig } from "../config";
import { start, type RunningServer } from "../server";
import { PROJECT_DIR, withProcessEnv } from "./bring-up";
import { homeFiles, processAlive, readInstance, type InstanceRecord } from "./home";
import { LocalApi } from "./local-api";
import { destroyPlatform, platformStack } from "./platform-stack";
import type { Progress } from "./progress";
import { stopBuiltinCluster } from "./builtin-cluster";

/** States after which a run holds nothing in the cluster. */
const GONE = new Set(["DESTROYED", "EXPIRED"]);

/**
 * `npm run down` / `reporunner down`: removes what `up` made and nothing else: every run (through
 * the Run API, started here if it is not running), the `dev` platform stack (and with it the kind
 * cluster it created), this instance's data, the test environment if `up` started it, and the home
 * folder (state, passphrase, token, checkouts).
 */
export async function tearDown(options: { home: string; progress: Progress }): Promise<void> {
  const { home, progress } = options;
  const record = readInstance(home);
  if (!record) {
    if (fs.existsSync(home)) fs.rmSync(home, { recursive: true, force: true });
    progress.say(`nothing to remove: no RepoRunner was brought up with this home (${home})`);
    return;
  }
  const env = record.apiEnv ?? {};
  // The Pulumi CLI, the engine and an API started here read their settings from this process.
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  Object.assign(process.env, env);
  const token = fs.readFileSync(homeFiles(home).token, "utf8").trim();

  progress.step("runs: destroy every run");
  await destroyRuns(record, token, progress);

  progress.step('platform stack "dev": destroy');
  const stack = await platformStack({ home, projectDir: PROJECT_DIR, pulumiEnv: withProcessEnv(env) });
  await destroyPlatform(stack, progress.detail);

  progress.step("data: this instance's records and events");
  if (record.cluster.provider === "builtin") await dropLocalData(env);
  else progress.detail("they lived in the cluster's MongoDB and Redis, removed with the platform");

  progress.step("cluster");
  if (record.cluster.provider === "builtin" && record.cluster.createdByUp) {
    await stopBuiltinCluster(PROJECT_DIR, progress.detail);
  } else if (record.cluster.provider === "builtin") {
    progress.detail("the test environment was running before `up`: kept");
  } else {
    progress.detail("the kind cluster was deleted with the platform stack");
    if (record.cluster.testEnvironmentStartedByUp) await stopBuiltinCluster(PROJECT_DIR, progress.detail);
  }
  fs.rmSync(home, { recursive: true, force: true });
  progress.say(`RepoRunner removed; ${home} deleted.`);
}

async function destroyRuns(record: InstanceRecord, token: string, progress: Progress): Promise<void> {
  let api = new LocalApi(record.url, token);
  let inProcess: RunningServer | undefined;
  const external =
    record.pid !== undefined &&
    record.pid !== process.pid &&
    processAlive(record.pid) &&
    (await api.healthy());
  if (!external) {
    // Nobody serves the API: run it here for the time it takes to destroy the runs.
    inProcess = await start({ config: loadConfig({ ...process.env, REPORUNNER_PORT: "0" }) });
    api = new LocalApi(inProcess.url, token);
  }
  try {
    const runs = (await api.allRuns()).filter((r) => !GONE.has(r.status));
    for (const run of runs) {
      if (run.status !== "DESTROYING") await api.destroy(run.id);
      progress.detail(`destroying run ${run.id} (was ${run.status})`);
    }
    for (;;) {
      const left = (await api.allRuns()).filter((r) => !GONE.has(r.status));
      const failed = left.filter((r) => r.status === "FAILED" && runs.some((d) => d.id === r.id));
      if (left.length === 0) break;
      if (failed.length > 0 && failed.length === left.length) {
        throw new Error(`could not destroy run(s) ${failed.map((r) => r.id).join(", ")}: see GET /runs/<id>`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    progress.detail(runs.length === 0 ? "no runs" : `${runs.length} run(s) destroyed`);
  } finally {
    if (inProcess) await inProcess.stop();
    else if (external) await stopProcess(record.pid!, progress);
  }
}

/** SIGTERM to the `npm start` process (it stops its API and workers cleanly), then wait for it. */
async function stopProcess(pid: number, progress: Progress): Promise<void> {
  progress.detail(`stopping the Run API (pid ${pid})`);
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 60_000;
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`the Run API (pid ${pid}) did not stop within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The test environment's shared Redis and FerretDB: only this instance's database and Redis db. */
async function dropLocalData(env: Readonly<Record<string, string>>): Promise<void> {
  if (env.REPORUNNER_MONGODB_URL) {
    const client = await MongoClient.connect(env.REPORUNNER_MONGODB_URL, {
      serverSelectionTimeoutMS: 10_000,
    });
    try {
      await client.db().dropDatabase();
    } finally {
      await client.close();
    }
  }
  if (env.REPORUNNER_REDIS_URL) {
    const redis = new IORedis(env.REPORUNNER_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
  }
}
