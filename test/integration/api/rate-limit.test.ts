/** The rate limit's counter: counted in the process at once, shared through Redis within a flush. */
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateStore } from "../../../automation/api/rate-limit";
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
  const s = new RedisRateStore(conn, 10_000); // flushed by hand below
  s.init({ windowMs: 60_000 });
  return s;
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
