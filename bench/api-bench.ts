import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serveGitOverHttp } from "../test/integration/support/git-http-server";
import { FIXTURES, gitRepositoryFrom, useTestEnvironment } from "../test/integration/support/testenv";
import { type BenchApi, enteredAt, realEngine, startApi, TOKEN, waitFor } from "./api-harness";
import { idleApiRssMiB } from "./api-process";
import { cliBench } from "./cli-bench";
import { load, loopbackFloor } from "./http-load";
import { ownRssMiB, sampleTreeRss, treeRss } from "./process-rss";
import { type Verdict, verdict, verdictFields } from "./verdict";

/**
 * `npm run bench -- api [--runs N] [--workers W]`: the Run API under load, on loopback, in this process, over a
 * fresh Redis and FerretDB. `--runs 0` leaves out the concurrency part (no cluster work).
 *   cli          `reporunner --help` and `reporunner translate` against `node -e 0` (cli-bench.ts)
 *   rssIdle      the API alone in its own process, as `npm run api` starts it (api-process.ts), idle
 *                (target ≤ 150 MiB); also this process's RSS once its API listens (tsx and the bench included)
 *   floor        the GET load against a bare node:http server: what the machine and autocannon cost
 *   GET /runs/:id  autocannon at 1 000 req/s, 10 connections, 10 s: p50/p99 (target p99 ≤ 1.5 × the floor's)
 *   POST /runs   autocannon at 200 req/s, 10 s, a new Idempotency-Key each: p99 (target ≤ 20 ms);
 *                no worker runs, so the runs stay QUEUED, and the databases are dropped afterwards.
 *                Over FerretDB on PostgreSQL (the target's figure), then again over FerretDB on SQLite
 *                (what the tests use): SQLite serialises every write, and a POST writes more than once
 *   concurrency  a second API with W worker loops (default N) and the real PulumiRunEngine on the test cluster:
 *                a warm-up run (the first of this commit: builds its image), one run alone, then N
 *                runs at once of the same commit (its image cached for all), all to READY; the wall
 *                time of the N ÷ (N × the run alone) is the ratio (target ≤ 0.5). Memory in flight is sampled
 *                every second as this process + its descendants (pulumi CLIs, language hosts,
 *                providers, git, kubectl; Redis and FerretDB left out), less the same before the
 *                runs, ÷ N. Image builds happen in dockerd, which is not counted.
 * The machine is shared: the figures are noisy.
 */
export interface ApiBenchOptions {
  readonly runs: number;
  /** Worker loops for the concurrent runs; 0: one per run. */
  readonly workers: number;
}

const round = (n: number) => Math.round(n * 100) / 100;
const POST_RATE = 200;
const seconds = (ms: number) => Math.round(ms) / 1000;

const POST_SECONDS = 10;

/** POST /runs at POST_RATE, a new Idempotency-Key each. */
async function postLoad(api: BenchApi, repoUrl: string, store: string) {
  const post = await load({
    url: `${api.url}/runs`,
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    idempotencyKeys: true,
    body: JSON.stringify({ repoUrl }),
    ratePerSecond: POST_RATE,
    connections: 10,
    durationSeconds: POST_SECONDS,
  });
  console.log(
    `POST /runs at ${POST_RATE} req/s over ${store}: ${post.requests} requests (${Math.round(post.requests / POST_SECONDS)}/s achieved, ${post.non2xx} non-2xx, ${post.errors} errors), p50 ${post.p50} ms, p99 ${post.p99} ms, max ${post.max} ms`,
  );
  return post;
}

async function readPhases(api: BenchApi, repoUrl: string) {
  const created = await api.call("POST", "/runs", { repoUrl });
  if (created.status !== 202) throw new Error(`POST /runs answered ${created.status}`);
  const headers = { authorization: `Bearer ${TOKEN}` };
  const getLoad = { ratePerSecond: 1000, connections: 10, durationSeconds: 10 };
  const floor = await loopbackFloor(getLoad);
  console.log(
    `loopback floor (bare node:http, same load): ${floor.requests} requests, p50 ${floor.p50} ms, p99 ${floor.p99} ms`,
  );
  const get = await load({ ...getLoad, url: `${api.url}/runs/${created.body.id}`, headers });
  console.log(
    `GET /runs/:id at 1000 req/s: ${get.requests} requests (${Math.round(get.requests / getLoad.durationSeconds)}/s achieved, ${get.non2xx} non-2xx, ${get.errors} errors), p50 ${get.p50} ms, p99 ${get.p99} ms, max ${get.max} ms`,
  );
  const post = await postLoad(api, repoUrl, "FerretDB on PostgreSQL");
  // autocannon stops waiting at the deadline; let the requests still in the API finish before it stops.
  await new Promise((r) => setTimeout(r, 5_000));
  if (get.non2xx + get.errors + post.non2xx + post.errors > 0)
    console.log("warning: some requests failed; their latencies are not in the percentiles");
  return { floor, get, post };
}

async function concurrency(api: BenchApi, repoUrl: string, runs: number) {
  const ids: string[] = [];
  const deploy = async () => {
    const created = await api.call("POST", "/runs", { repoUrl, ref: "main" });
    if (created.status !== 202) throw new Error(`POST /runs answered ${created.status}`);
    ids.push(created.body.id);
    const run = await waitFor(api, created.body.id, "READY", 900_000);
    return { run, ms: enteredAt(run, "READY") - Date.parse(run.createdAt) };
  };
  try {
    const warm = await deploy();
    console.log(`warm-up run (the first of this commit: builds its image): READY in ${seconds(warm.ms)} s`);
    const single = await deploy();
    console.log(`one run alone (image cached): READY in ${seconds(single.ms)} s`);
    const before = treeRss();
    const stopSampling = sampleTreeRss();
    const batch = await Promise.all(Array.from({ length: runs }, deploy));
    const peak = stopSampling();
    const first = Math.min(...batch.map((b) => Date.parse(b.run.createdAt)));
    const last = Math.max(...batch.map((b) => enteredAt(b.run, "READY")));
    const totalMs = last - first;
    const ratio = round(totalMs / (runs * single.ms));
    const perRun = Math.round((peak.peakMiB - before.mib) / runs);
    console.log(
      `${runs} runs at once: all READY in ${seconds(totalMs)} s, ratio ${ratio} (target ≤ 0.5); slowest single ${seconds(Math.max(...batch.map((b) => b.ms)))} s`,
    );
    console.log(
      `RSS: ${before.mib} MiB before, peak ${peak.peakMiB} MiB with ${peak.peakDescendants} child processes in flight → ${perRun} MiB per run in flight`,
    );
    return {
      warmUpRunSeconds: seconds(warm.ms),
      singleRunSeconds: seconds(single.ms),
      concurrentTotalSeconds: seconds(totalMs),
      concurrencyRatio: ratio,
      rssBeforeRunsMiB: before.mib,
      rssPeakInFlightMiB: peak.peakMiB,
      rssPerRunInFlightMiB: perRun,
      peakChildProcesses: peak.peakDescendants,
    };
  } finally {
    // Whatever happened, leave nothing in the shared cluster.
    const destroy = Date.now();
    await Promise.all(ids.map((id) => api.call("DELETE", `/runs/${id}`)));
    const results = await Promise.allSettled(ids.map((id) => waitFor(api, id, "DESTROYED", 900_000)));
    const failed = results.filter((r) => r.status === "rejected");
    console.log(
      `DELETE ${ids.length} runs: ${ids.length - failed.length} DESTROYED in ${seconds(Date.now() - destroy)} s`,
    );
    for (const f of failed) console.log(`  ${(f as PromiseRejectedResult).reason}`);
  }
}

export async function apiBench({
  runs,
  workers,
}: ApiBenchOptions): Promise<Record<string, number | boolean>> {
  const env = useTestEnvironment();
  // The machine is shared: its load says how much the latencies below are worth.
  const loadAtStart = os.loadavg()[0]!;
  console.log(`load average (1 min) at the start: ${loadAtStart.toFixed(2)} on ${os.cpus().length} CPUs`);
  const cli = cliBench();
  console.log(
    `CLI (median of 7): node -e 0 ${cli.nodeMs} ms, --help ${cli.helpMs} ms, translate ${cli.translateMs} ms`,
  );
  const idle = await idleApiRssMiB(env);
  const apiRssIdleMiB = idle.api;
  console.log(
    `RSS idle of the API process (npm run api: real engine, 2 worker loops): ${idle.api} MiB; with its ${idle.children} child processes (warm program hosts): ${idle.withChildren} MiB`,
  );
  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-bench-git-"));
  const git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  const served = path.join(reposRoot, "hello.git");
  fs.renameSync(repo.dir, served);
  try {
    // Reads and writes, with no worker: nothing is deployed.
    const reader = await startApi(env, realEngine(env), 0);
    let http: Awaited<ReturnType<typeof readPhases>>;
    let rssIdleMiB: number;
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      rssIdleMiB = ownRssMiB();
      console.log(
        `RSS idle of this process: ${rssIdleMiB} MiB (API, tsx, bench; engine work runs in child pulumi processes)`,
      );
      http = await readPhases(reader, git.url(served));
    } finally {
      await reader.stop(); // drops the QUEUED runs with their databases
    }
    // The same writes over FerretDB on SQLite (what the tests use), for comparison.
    const sqliteApi = await startApi(env, realEngine(env), 0, "sqlite");
    let postSqlite: Awaited<ReturnType<typeof postLoad>>;
    try {
      postSqlite = await postLoad(sqliteApi, git.url(served), "FerretDB on SQLite");
      await new Promise((r) => setTimeout(r, 5_000));
    } finally {
      await sqliteApi.stop();
    }
    const verdicts: Verdict[] = [
      verdict(
        "help",
        "reporunner --help",
        `${cli.helpMs} ms`,
        `≤ 8 × node -e 0 + 200 ms = ${8 * cli.nodeMs + 200} ms`,
        cli.helpMs <= 8 * cli.nodeMs + 200,
      ),
      verdict(
        "translate",
        "reporunner translate",
        `${cli.translateMs} ms`,
        "≤ 1000 ms",
        cli.translateMs <= 1000,
      ),
      verdict(
        "postP99",
        `POST /runs p99 at ${POST_RATE} req/s (FerretDB on PostgreSQL)`,
        `${http.post.p99} ms`,
        "≤ 20 ms",
        http.post.p99 <= 20,
      ),
      verdict(
        "getP99",
        "GET /runs/:id p99 at 1000 req/s",
        `${http.get.p99} ms against the bare server's ${http.floor.p99} ms`,
        `≤ 1.5 × = ${round(1.5 * http.floor.p99)} ms`,
        http.get.p99 <= 1.5 * http.floor.p99,
      ),
      verdict(
        "rssIdle",
        "API process (API + worker loops) RSS idle",
        `${apiRssIdleMiB} MiB`,
        "≤ 150 MiB",
        apiRssIdleMiB <= 150,
      ),
    ];
    const loadAtEnd = os.loadavg()[0]!;
    console.log(`load average (1 min) after the HTTP phases: ${loadAtEnd.toFixed(2)}`);
    const figures = {
      runs,
      loadAvgStart: round(loadAtStart),
      loadAvgEnd: round(loadAtEnd),
      nodeMs: cli.nodeMs,
      helpMs: cli.helpMs,
      translateMs: cli.translateMs,
      apiRssIdleMiB,
      apiTreeRssIdleMiB: idle.withChildren,
      rssIdleMiB,
      floorP99Ms: http.floor.p99,
      getP50Ms: http.get.p50,
      getP99Ms: http.get.p99,
      getAchievedPerSecond: Math.round(http.get.requests / 10),
      getFailed: http.get.non2xx + http.get.errors,
      postP50Ms: http.post.p50,
      postP99Ms: http.post.p99,
      postRequests: http.post.requests,
      postFailed: http.post.non2xx + http.post.errors,
      postSqliteP50Ms: postSqlite.p50,
      postSqliteP99Ms: postSqlite.p99,
      postSqliteRequests: postSqlite.requests,
      ...verdictFields(verdicts),
    };
    if (runs === 0) return figures;
    // Real runs, W worker loops.
    const loops = workers || runs;
    const api = await startApi(env, realEngine(env, loops), loops);
    let deployed: Awaited<ReturnType<typeof concurrency>>;
    try {
      deployed = await concurrency(api, git.url(served), runs);
    } finally {
      await api.stop();
    }
    return { ...figures, workers: loops, ...deployed };
  } finally {
    await git.close();
    fs.rmSync(reposRoot, { recursive: true, force: true });
  }
}
