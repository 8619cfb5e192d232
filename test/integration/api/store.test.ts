/**
 * The run store on FerretDB: compare-and-set transitions (no illegal transition is written, one of
 * two racing writers wins), the history, pagination, idempotency keys.
 */
import { MongoClient } from "mongodb";
import pino from "pino";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withLock } from "../../../automation/bus/locks";
import type { RunRecord } from "../../../automation/runs/run";
import { RunStore } from "../../../automation/runs/store";
import { queuedRun } from "../../support/run-record";
import { startFerretdb, startRedis, type TestService } from "../../support/services";

let mongo: TestService;
let redis: TestService;
let client: MongoClient;
let r: Redis;
let store: RunStore;

beforeAll(async () => {
  [mongo, redis] = await Promise.all([startFerretdb(), startRedis()]);
  client = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 3000 });
  r = new Redis(redis.url);
  store = new RunStore(client.db(), pino({ level: "silent" }), undefined, (id, fn) =>
    withLock(r, `run:${id}`, fn),
  );
  await store.init();
});
afterAll(async () => {
  await client?.close();
  r?.disconnect();
  await mongo?.dispose();
  await redis?.dispose();
});

let n = 0;
function record(overrides: Partial<RunRecord> = {}): RunRecord {
  const at = new Date(Date.now() + n++);
  return queuedRun(`store${String(n).padStart(5, "0")}`, { enqueuedAt: null, ...overrides }, at);
}

describe("RunStore", () => {
  it("creates its indexes (validators are not supported by FerretDB v1: detected, not fatal)", async () => {
    const names = (await client.db().collection("runs").indexes()).map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining(["owner_createdAt", "status", "expiresAt", "idempotency_key"]),
    );
    expect(store.serverValidation).toBe(false);
  });

  it("writes a legal transition with its history and phase timing", async () => {
    const run = await store.insert(record());
    const moved = await store.transition(run._id, "CLONING", { holder: null, set: { holder: "w1" } });
    expect(moved.ok).toBe(true);
    const now = await store.get(run._id);
    expect(now?.status).toBe("CLONING");
    expect(now?.holder).toBe("w1");
    expect(now?.history.map((t) => `${t.from}->${t.to}`)).toEqual(["null->QUEUED", "QUEUED->CLONING"]);
    expect(now?.phases.CLONING?.startedAt).toBeInstanceOf(Date);
  });

  it("refuses an illegal transition and writes nothing", async () => {
    const run = await store.insert(record());
    const before = await store.get(run._id);
    for (const to of ["READY", "DESTROYED", "EXPIRED", "BUILDING"] as const) {
      const res = await store.transition(run._id, to);
      expect(res).toMatchObject({ ok: false, why: "illegal" });
    }
    expect(await store.get(run._id)).toEqual(before);
  });

  it("refuses a transition by a worker that does not hold the run", async () => {
    const run = await store.insert(record());
    await store.transition(run._id, "CLONING", { set: { holder: "w1" } });
    const res = await store.transition(run._id, "BUILDING", { holder: "w2" });
    expect(res).toMatchObject({ ok: false, why: "conflict" });
  });

  it("lets exactly one of many racing writers take a run", async () => {
    for (let round = 0; round < 5; round++) {
      const run = await store.insert(record());
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.transition(run._id, "CLONING", { from: ["QUEUED"], holder: null, set: { holder: `w${i}` } }),
        ),
      );
      expect(results.filter((x) => x.ok)).toHaveLength(1);
      const now = await store.get(run._id);
      expect(now?.history).toHaveLength(2);
    }
  });

  it("knows FerretDB does not isolate an update, so it takes the record lock", () => {
    expect(store.atomicUpdates).toBe(false);
  });

  it("keeps a concurrent patch and a transition both (no lost update)", async () => {
    for (let round = 0; round < 5; round++) {
      const run = await store.insert(record());
      await Promise.all([
        store.transition(run._id, "CLONING", { holder: null, set: { holder: "w1" } }),
        store.patch(run._id, { enqueuedAt: new Date() }, { inStates: ["QUEUED", "CLONING"] }),
      ]);
      const now = await store.get(run._id);
      expect(now?.status).toBe("CLONING");
      expect(now?.enqueuedAt).toBeInstanceOf(Date);
    }
  });

  it("lets the reaper expire a run only if nobody extended it since the reaper looked", async () => {
    const reaperNow = new Date();
    const stale = await store.insert(record({ status: "READY", expiresAt: new Date(Date.now() - 1000) }));
    const extended = await store.insert(record({ status: "READY", expiresAt: new Date(Date.now() - 1000) }));
    // The owner extends the second run after the reaper found both expired.
    await store.patch(extended._id, { expiresAt: new Date(Date.now() + 3600_000) }, { inStates: ["READY"] });
    const reap = (id: string) =>
      store.transition(id, "DESTROYING", { holder: null, expiredBy: reaperNow, set: { expiring: true } });
    expect(await reap(stale._id)).toMatchObject({ ok: true, run: { status: "DESTROYING" } });
    expect(await reap(extended._id)).toMatchObject({ ok: false, why: "illegal" });
    expect((await store.get(extended._id))?.status).toBe("READY");
  });

  it("stores a run with its Idempotency-Key once per owner; a second run with the key gets the first", async () => {
    const mark = (owner: string, requestHash: string) => ({
      key: store.idempotencyKeyDigest(owner, "k"),
      requestHash,
    });
    const first = await store.insertWithKey(record({ owner: "alice" }), mark("alice", "h1"));
    expect(first).toMatchObject({ inserted: { idempotency: { requestHash: "h1" } } });
    const firstId = "inserted" in first ? first.inserted._id : "";
    const again = record({ owner: "alice" });
    expect(await store.insertWithKey(again, mark("alice", "h2"))).toMatchObject({
      earlier: { _id: firstId, idempotency: { requestHash: "h1" } },
    });
    // Nothing of the second run was written; another owner's key space is its own.
    expect(await store.get(again._id)).toBeNull();
    expect(await store.insertWithKey(record({ owner: "bob" }), mark("bob", "h1"))).toHaveProperty("inserted");
  });

  it("frees the key of a run that is removed (its job never reached the queue)", async () => {
    const mark = { key: store.idempotencyKeyDigest("dora", "k"), requestHash: "h1" };
    const first = record({ owner: "dora" });
    await store.insertWithKey(first, mark);
    await store.removeUnqueued(first._id);
    const retry = record({ owner: "dora" });
    expect(await store.insertWithKey(retry, mark)).toMatchObject({ inserted: { _id: retry._id } });
  });

  it("gives an Idempotency-Key over to a new run after a day, and the old run keeps its data", async () => {
    let now = new Date();
    const clocked = new RunStore(client.db(), pino({ level: "silent" }), () => now);
    const mark = (requestHash: string) => ({ key: clocked.idempotencyKeyDigest("carol", "k"), requestHash });
    const old = record({ owner: "carol", createdAt: now });
    await clocked.insertWithKey(old, mark("h1"));
    now = new Date(now.getTime() + 25 * 3600_000);
    const fresh = record({ owner: "carol", createdAt: now });
    expect(await clocked.insertWithKey(fresh, mark("h2"))).toMatchObject({ inserted: { _id: fresh._id } });
    expect(await clocked.insertWithKey(record({ owner: "carol", createdAt: now }), mark("h3"))).toMatchObject(
      {
        earlier: { _id: fresh._id, idempotency: { requestHash: "h2" } },
      },
    );
    const kept = await clocked.get(old._id);
    expect(kept).toMatchObject({ _id: old._id, repoUrl: old.repoUrl, status: old.status });
    expect(kept?.idempotency).toBeUndefined();
  });

  it("adopts the keys of the old idempotency collection at start: a retry across the upgrade gets its run", async () => {
    const db = client.db();
    const before = await store.insert(record({ owner: "erin" }));
    const stale = await store.insert(record({ owner: "erin" }));
    const key = (k: string) => store.idempotencyKeyDigest("erin", k);
    await db
      .collection<{ _id: string; owner: string; runId: string; requestHash: string; createdAt: Date }>(
        "idempotency",
      )
      .insertMany([
        { _id: key("retried"), owner: "erin", runId: before._id, requestHash: "h1", createdAt: new Date() },
        {
          _id: key("old"),
          owner: "erin",
          runId: stale._id,
          requestHash: "h1",
          createdAt: new Date(Date.now() - 25 * 3600_000),
        },
      ]);
    // What an API of this version does when it starts on that database.
    await new RunStore(db, pino({ level: "silent" })).init();
    expect(
      await store.insertWithKey(record({ owner: "erin" }), { key: key("retried"), requestHash: "h1" }),
    ).toMatchObject({
      earlier: { _id: before._id, idempotency: { requestHash: "h1" } },
    });
    // A key older than a day is not adopted; the collection is gone.
    expect((await store.get(stale._id))?.idempotency).toBeUndefined();
    expect(await db.listCollections({ name: "idempotency" }).toArray()).toEqual([]);
  });

  it("pages an owner's runs newest first with a cursor and a status filter", async () => {
    for (let i = 0; i < 5; i++)
      await store.insert(record({ owner: "pager", status: i % 2 ? "READY" : "QUEUED" }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list("pager", { limit: 2, cursor });
      if ("badCursor" in page) throw new Error("bad cursor");
      seen.push(...page.items.map((x) => x._id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort().reverse()).toEqual(seen);
    const ready = await store.list("pager", { limit: 10, status: ["READY"] });
    expect("items" in ready && ready.items.map((x) => x.status)).toEqual(["READY", "READY"]);
    expect(await store.list("pager", { limit: 2, cursor: "bm9wZQ" })).toEqual({ badCursor: true });
  });
});
