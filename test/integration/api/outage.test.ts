/**
 * Outage: Redis, then FerretDB, is down for 30 s (OUTAGE_SECONDS). Meanwhile writes answer 503 with
 * Retry-After; afterwards the same server (no restart) serves again, and a run that was deploying
 * when the outage began finishes: nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/api-harness";

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 30) * 1000;
const repo = { repoUrl: "https://git.example.test/o/r" };
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Calls until `predicate` holds, for up to `ms`. */
async function eventually<T>(fn: () => Promise<T>, predicate: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  do {
    last = await fn();
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  throw new Error(`condition not met; last: ${JSON.stringify(last)}`);
}

async function outage(service: "redis" | "mongo", during: () => Promise<void>) {
  h.engine.defaultScript = { phaseMs: 1500 };
  const { body } = await h.call("POST", "/runs", { body: repo });
  await h.waitFor(body.id, (r) => r.status === "CLONING");
  const started = Date.now();
  await h[service].stop();
  await during();
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - started))));
  await h[service].start();
  h.engine.defaultScript = {};
  return body.id as string;
}

function expect503(res: { status: number; headers: Headers; body: any }) {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(res.body.error.code).toMatch(/unavailable|not_ready/);
}

describe("dependency outages", () => {
  it("Redis down: 503 with Retry-After for writes, reads still served; recovers without a restart", async () => {
    const inFlight = await outage("redis", async () => {
      expect503(await h.call("POST", "/runs", { body: repo }));
      expect503(await h.call("GET", "/readyz", { token: null }));
      const list = await h.call("GET", "/runs");
      expect(list.status).toBe(200);
    });
    await h.waitFor(inFlight, (r) => r.status === "READY", undefined, 60_000);
    await eventually(
      () => h.call("GET", "/readyz", { token: null }),
      (r) => r.status === 200,
    );
    const after = await eventually(
      () => h.call("POST", "/runs", { body: repo }),
      (r) => r.status === 202,
    );
    await h.waitFor(after.body.id, (r) => r.status === "READY", undefined, 30_000);
  });

  it("FerretDB down: 503 with Retry-After; the run in flight and new runs complete afterwards", async () => {
    const inFlight = await outage("mongo", async () => {
      expect503(await h.call("POST", "/runs", { body: repo }));
      expect503(await h.call("GET", "/runs"));
      expect503(await h.call("GET", "/readyz", { token: null }));
    });
    await h.waitFor(inFlight, (r) => r.status === "READY", undefined, 60_000);
    const after = await eventually(
      () => h.call("POST", "/runs", { body: repo }),
      (r) => r.status === 202,
    );
    await h.waitFor(after.body.id, (r) => r.status === "READY", undefined, 30_000);
  });
});
