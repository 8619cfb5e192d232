import { type ApiProcess, startApiProcess } from "./api-process";
import { load, type LoadOptions, type LoadResult, loopbackFloor } from "./http-load";
import { median } from "./stats";

/**
 * The latency phases of `npm run bench -- api`, against the API as users run it: its own process
 * (`bin/api.js`, api-process.ts) with no worker loop, so the runs stay QUEUED. Every measured phase
 * follows WARM_UP_SECONDS of the same load, not counted, and the floor (a bare node:http server in
 * its own plain node process) is measured the same way. A single 10 s p99 on a shared two-CPU
 * machine is mostly noise, so each figure is taken in ROUNDS rounds, floor and GET interleaved,
 * every round printed; the verdicts go on the median p99 of the rounds.
 */
export const ROUNDS = 3;
export const GET_RATE = 1000;
export const POST_RATE = 200;
const MEASURED_SECONDS = 10;
const WARM_UP_SECONDS = 3;
const TOKEN = "bench-latency-token-0123456789";

/** The API process's settings for these phases: no workers, sweeps or rate limit to speak of, errors only in the log. */
const SETTINGS = {
  REPORUNNER_WORKERS: "0",
  REPORUNNER_SWEEP_INTERVAL_MS: "0",
  REPORUNNER_RATE_LIMIT_PER_MINUTE: "1000000",
  // The fixture repository is served over plain HTTP on loopback.
  REPORUNNER_ALLOW_HTTP: "true",
  REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
  REPORUNNER_LOG_LEVEL: "error",
};

/** One figure over its rounds: each round's result, and the medians that decide. */
export interface Rounds {
  readonly rounds: readonly LoadResult[];
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  /** Non-2xx answers and errors over every round. */
  readonly failed: number;
}

function rounds(results: readonly LoadResult[]): Rounds {
  return {
    rounds: results,
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    requests: median(results.map((r) => r.requests)),
    failed: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
  };
}

function describe(r: LoadResult): string {
  const achieved = Math.round(r.requests / MEASURED_SECONDS);
  return `${r.requests} requests (${achieved}/s, ${r.non2xx} non-2xx, ${r.errors} errors), p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`;
}

const timing = { connections: 10, durationSeconds: MEASURED_SECONDS, warmUpSeconds: WARM_UP_SECONDS };

/** Floor and GET /runs/:id at GET_RATE, interleaved, ROUNDS times. */
async function readRounds(api: ApiProcess, repoUrl: string): Promise<{ floor: Rounds; get: Rounds }> {
  const created = await fetch(`${api.url}/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ repoUrl }),
  });
  if (created.status !== 202) throw new Error(`POST /runs answered ${created.status}`);
  const { id } = (await created.json()) as { id: string };
  const floors: LoadResult[] = [];
  const gets: LoadResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const floor = await loopbackFloor({ ...timing, ratePerSecond: GET_RATE });
    console.log(`round ${round}/${ROUNDS} loopback floor (bare node:http, same load): ${describe(floor)}`);
    const get = await load({
      ...timing,
      ratePerSecond: GET_RATE,
      url: `${api.url}/runs/${id}`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    console.log(`round ${round}/${ROUNDS} GET /runs/:id at ${GET_RATE} req/s: ${describe(get)}`);
    floors.push(floor);
    gets.push(get);
  }
  return { floor: rounds(floors), get: rounds(gets) };
}

/** POST /runs at POST_RATE, a new Idempotency-Key each, `count` rounds. */
async function postRounds(api: ApiProcess, repoUrl: string, store: string, count: number): Promise<Rounds> {
  const options: LoadOptions = {
    ...timing,
    url: `${api.url}/runs`,
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    idempotencyKeys: true,
    body: JSON.stringify({ repoUrl }),
    ratePerSecond: POST_RATE,
  };
  const results: LoadResult[] = [];
  for (let round = 1; round <= count; round++) {
    const post = await load(options);
    console.log(`round ${round}/${count} POST /runs at ${POST_RATE} req/s over ${store}: ${describe(post)}`);
    results.push(post);
  }
  return rounds(results);
}

/**
 * GET and POST over FerretDB on PostgreSQL (the targets' figures), then one round of POST over
 * FerretDB on SQLite (what the tests use; it serialises every write), each API with fresh databases.
 */
export async function latencyPhases(env: Record<string, string>, repoUrl: string) {
  const api = await startApiProcess(env, { token: TOKEN, settings: SETTINGS });
  let reads: Awaited<ReturnType<typeof readRounds>>;
  let post: Rounds;
  try {
    reads = await readRounds(api, repoUrl);
    post = await postRounds(api, repoUrl, "FerretDB on PostgreSQL", ROUNDS);
  } finally {
    await api.stop();
  }
  const sqlite = await startApiProcess(env, { token: TOKEN, backend: "sqlite", settings: SETTINGS });
  let postSqlite: Rounds;
  try {
    postSqlite = await postRounds(sqlite, repoUrl, "FerretDB on SQLite", 1);
  } finally {
    await sqlite.stop();
  }
  const failed = reads.get.failed + post.failed + postSqlite.failed;
  if (failed > 0) console.log("warning: some requests failed; their latencies are not in the percentiles");
  return { ...reads, post, postSqlite };
}
