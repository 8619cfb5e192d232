import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serveGitOverHttp } from "../test/integration/support/git-http-server";
import { FIXTURES, gitRepositoryFrom, useTestEnvironment } from "../test/integration/support/testenv";
import { type BenchApi, enteredAt, realEngine, startApi, TOKEN, waitFor } from "./api-harness";
import { load, loopbackFloor } from "./http-load";
import { ownRssMiB, sampleTreeRss, treeRss } from "./process-rss";

/**
 * `npm run bench -- api [--runs N]`: the Run API under load, on loopback, in this process, over a
 * fresh Redis and FerretDB.
 *   rssIdle      this process's RSS once the API listens (tsx and the bench included)
 *   floor        the GET load against a bare node:http server: what the machine and autocannon cost
 *   GET /runs/:id  autocannon at 1 000 req/s, 10 connections, 10 s: p50/p99 (target p99 ≤ 10 ms)
 *   POST /runs   autocannon at 100 req/s, 5 s, a new Idempotency-Key each: p99 (target ≤ 20 ms);
 *                no worker runs, so the runs stay QUEUED, and the databases are dropped afterwards
 *   concurrency  a second API with N worker loops and the real PulumiRunEngine on the test cluster:
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
}

const round = (n: number) => Math.round(n * 100) / 100;
const seconds = (ms: number) => Math.round(ms) / 1000;

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
    `GET /runs/:id at 1000 req/s: ${get.requests} requests (${Math.round(get.requests / getLoad.durationSeconds)}/s achieved, ${get.non2xx} non-2xx, ${get.errors} errors), p50 ${get.p50} ms, p99 ${get.p99} ms (target ≤ 10 ms), max ${get.max} ms`,
  );
  const post = await load({
    url: `${api.url}/runs`,
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    idempotencyKeys: true,
    body: JSON.stringify({ repoUrl }),
    ratePerSecond: 100,
    connections: 10,
    durationSeconds: 5,
  });
  console.log(
    `POST /runs at 100 req/s: ${post.requests} requests (${post.non2xx} non-2xx, ${post.errors} errors), p50 ${post.p50} ms, p99 ${post.p99} ms (target ≤ 20 ms), max ${post.max} ms`,
  );
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

export async function apiBench({ runs }: ApiBenchOptions): Promise<Record<string, number>> {
  const env = useTestEnvironment();
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
        `RSS idle: ${rssIdleMiB} MiB (this process: API, tsx, bench; engine work runs in child pulumi processes)`,
      );
      http = await readPhases(reader, git.url(served));
    } finally {
      await reader.stop(); // drops the QUEUED runs with their databases
    }
    // Real runs, N worker loops.
    const api = await startApi(env, realEngine(env), runs);
    let deployed: Awaited<ReturnType<typeof concurrency>>;
    try {
      deployed = await concurrency(api, git.url(served), runs);
    } finally {
      await api.stop();
    }
    return {
      runs,
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
      ...deployed,
    };
  } finally {
    await git.close();
    fs.rmSync(reposRoot, { recursive: true, force: true });
  }
}
