import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serveGitOverHttp } from "../test/integration/support/git-http-server";
import { FIXTURES, gitRepositoryFrom, useTestEnvironment } from "../test/integration/support/testenv";
import { DEFAULT_WORKERS } from "../automation/config";
import { concurrency } from "./api-concurrency";
import { realEngine, startApi } from "./api-harness";
import { GET_RATE, latencyPhases, POST_RATE, ROUNDS } from "./api-latency";
import { idleApiRssMiB } from "./api-process";
import { cliBench } from "./cli-bench";
import { ownRssMiB } from "./process-rss";
import { type Verdict, verdict, verdictFields } from "./verdict";

/**
 * `npm run bench -- api [--runs N] [--workers W]`: the Run API under load, on loopback, over a fresh Redis and
 * FerretDB. `--runs 0` leaves out the concurrency part (no cluster work).
 *   cli          `reporunner --help` and `reporunner translate` against `node -e 0` (cli-bench.ts)
 *   rssIdle      the API alone in its own process, as `npm run api` starts it (api-process.ts), idle
 *                (target ≤ 150 MiB)
 *   latency      the API in its own process too, with no worker loop (api-latency.ts): each measured
 *                load follows 3 s of the same load, not counted, and runs 3 rounds, every round printed;
 *                the verdicts go on the MEDIAN p99 of the rounds (one 10 s p99 here is mostly noise)
 *   floor        the GET load against a bare node:http server in its own process: what the machine and
 *                autocannon cost; measured in the same rounds, interleaved with the GET
 *   GET /runs/:id  autocannon at 1 000 req/s, 10 connections, 10 s: p50/p99 (target median p99 ≤ 1.5 × the
 *                floor's median p99)
 *   POST /runs   autocannon at 200 req/s, 10 s, a new Idempotency-Key each: p99 (target median p99 ≤ 20 ms);
 *                no worker runs, so the runs stay QUEUED, and the databases are dropped afterwards.
 *                Over FerretDB on PostgreSQL (the target's figure), then one round over FerretDB on SQLite
 *                (what the tests use): SQLite serialises every write, and a POST writes more than once
 *   concurrency  a second API with W worker loops (default: the API's own, DEFAULT_WORKERS) and the real engine on the test cluster:
 *                N runs of one commit at once against the median run alone (target ratio ≤ 0.5), and the
 *                memory each run in flight adds (target ≤ 250 MiB); see api-concurrency.ts
 * The machine is shared: the figures are noisy.
 */
export interface ApiBenchOptions {
  readonly runs: number;
  /** Worker loops for the concurrent runs; 0: one per run. */
  readonly workers: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function apiBench({
  runs,
  workers,
}: ApiBenchOptions): Promise<Record<string, number | boolean | number[]>> {
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
    `RSS idle of the API process (npm run api: real engine, ${DEFAULT_WORKERS} worker loops): ${idle.api} MiB; with its ${idle.children} child processes (warm program hosts): ${idle.withChildren} MiB`,
  );
  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-bench-git-"));
  const git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  const served = path.join(reposRoot, "hello.git");
  fs.renameSync(repo.dir, served);
  try {
    const rssIdleMiB = ownRssMiB();
    console.log(
      `RSS of this process: ${rssIdleMiB} MiB (tsx and the bench; the API under load runs in its own)`,
    );
    // Reads and writes, with no worker: nothing is deployed.
    const http = await latencyPhases(env, git.url(served));
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
        `POST /runs p99 at ${POST_RATE} req/s (FerretDB on PostgreSQL), median of ${ROUNDS} rounds`,
        `${http.post.p99} ms`,
        "≤ 20 ms",
        http.post.p99 <= 20,
      ),
      verdict(
        "getP99",
        `GET /runs/:id p99 at ${GET_RATE} req/s, median of ${ROUNDS} rounds`,
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
      // Medians of the rounds; each round's p99 in the arrays.
      floorP99Ms: http.floor.p99,
      getP50Ms: http.get.p50,
      getP99Ms: http.get.p99,
      getAchievedPerSecond: Math.round(http.get.requests / 10),
      getFailed: http.get.failed,
      postP50Ms: http.post.p50,
      postP99Ms: http.post.p99,
      postRequests: http.post.requests,
      postFailed: http.post.failed,
      postSqliteP50Ms: http.postSqlite.p50,
      postSqliteP99Ms: http.postSqlite.p99,
      postSqliteRequests: http.postSqlite.requests,
      floorP99sMs: http.floor.rounds.map((r) => r.p99),
      getP99sMs: http.get.rounds.map((r) => r.p99),
      postP99sMs: http.post.rounds.map((r) => r.p99),
      ...verdictFields(verdicts),
    };
    if (runs === 0) return figures;
    // Real runs, W worker loops.
    const loops = workers || DEFAULT_WORKERS;
    const api = await startApi(env, realEngine(env, loops), loops);
    let deployed: Awaited<ReturnType<typeof concurrency>>;
    try {
      deployed = await concurrency(api, git.url(served), runs, loops);
    } finally {
      await api.stop();
    }
    return { ...figures, ...deployed.figures, ...verdictFields(deployed.verdicts) };
  } finally {
    await git.close();
    fs.rmSync(reposRoot, { recursive: true, force: true });
  }
}
