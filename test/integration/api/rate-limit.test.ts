/** The rate limit's counter: counted in the process at once, shared through Redis within a flush. */
import type { AddressInfo } from "node:net";
import express from "express";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimitPerToken, RedisRateStore } from "../../../automation/api/rate-limit";
import { startRedis, type TestService } from "../../support/services";

let redis: TestService;
let a: Redis;
let b: Redis;
beforeAll(async () => {
  redis = await startRedis();
  [a, b] = [new Redis(redis.url), new Redis(redis.url)];
});
afterAll(async () => {
  a?.disconnect();
  b?.disconnect();
  await redis?.dispose();
});

function store(conn: Redis): RedisRateStore {
  return new RedisRateStore(conn, 60_000, 10_000); // flushed by hand below
}

describe("the rate limit's counter", () => {
  it("counts a process's own hits without waiting for Redis", async () => {
    const one = store(a);
    const hits = [];
    for (let i = 0; i < 5; i++) hits.push((await one.increment("tok-own")).totalHits);
    expect(hits).toEqual([1, 2, 3, 4, 5]);
    expect(await a.get("ratelimit:tok-own")).toBeNull();
    await one.flush();
    expect(await a.get("ratelimit:tok-own")).toBe("5");
    expect(await a.pttl("ratelimit:tok-own")).toBeGreaterThan(50_000);
  });

  it("shares one budget between processes once they have flushed", async () => {
    const [one, two] = [store(a), store(b)];
    for (let i = 0; i < 3; i++) await one.increment("tok-shared");
    for (let i = 0; i < 4; i++) await two.increment("tok-shared");
    await one.flush();
    await two.flush();
    await one.flush(); // nothing new of its own: it learns the total at its next hit's flush
    expect((await one.increment("tok-shared")).totalHits).toBe(4);
    await one.flush();
    expect((await one.increment("tok-shared")).totalHits).toBe(9);
    expect(await a.get("ratelimit:tok-shared")).toBe("8");
  });

  it("keeps counting while Redis is away", async () => {
    const gone = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    gone.disconnect();
    const lonely = store(gone);
    for (let i = 0; i < 3; i++) await lonely.increment("tok-away");
    await lonely.flush();
    expect((await lonely.increment("tok-away")).totalHits).toBe(4);
  });
});

describe("the per-token limiter", () => {
  it("answers with the draft-8 headers, then 429 with Retry-After past the limit, per token", async () => {
    const app = express();
    app.use((req, res, next) => {
      res.locals.tokenId = req.headers["x-token"];
      next();
    });
    app.use(rateLimitPerToken(a, 2));
    app.get("/", (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const get = (token: string) => fetch(url, { headers: { "x-token": token } });
    try {
      const [first, second, third] = [await get("tok-a"), await get("tok-a"), await get("tok-a")];
      expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
      expect(first.headers.get("ratelimit")).toMatch(/^"2-in-1min"; r=1; t=(59|60)$/);
      expect(first.headers.get("ratelimit-policy")).toMatch(/^"2-in-1min"; q=2; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      expect(third.headers.get("ratelimit")).toMatch(/^"2-in-1min"; r=0; t=/);
      expect(third.headers.get("retry-after")).toBe("60");
      expect(((await third.json()) as { error: unknown }).error).toMatchObject({
        code: "rate_limited",
        field: "authorization",
      });
      // Another token has a budget of its own.
      expect((await get("tok-b")).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
