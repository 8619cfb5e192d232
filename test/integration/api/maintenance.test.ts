/**
 * The TTL reaper and the orphan sweeper: expired runs end EXPIRED with their stacks destroyed; stacks
 * no live record owns are destroyed; a run in flight is never touched; one instance at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tryLock } from "../../../automation/bus/locks";
import { maintenancePass, SWEEP_LOCK, type MaintenanceDeps } from "../../../automation/workers/maintenance";
import { startHarness, type Harness } from "../../support/api-harness";

let h: Harness;
const repo = { repoUrl: "https://git.example.test/o/r", ttl: 60 };

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function deps(now = new Date(Date.now() + 120_000)): MaintenanceDeps {
  const rt = h.server.runtime;
  return {
    redis: rt.redis,
    store: rt.store,
    queue: rt.queue,
    events: rt.events,
    engine: h.engine,
    logger: rt.logger,
    intervalMs: 1000,
    now: () => now,
  };
}

describe("TTL reaper", () => {
  it("destroys a run past its expiry and marks it EXPIRED", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    expect(h.engine.stacks.has(body.id)).toBe(true);
    expect(await maintenancePass(deps())).toBe(true);
    const run = await h.waitFor(body.id, (r) => r.status === "EXPIRED");
    expect(run.reason).toBe("ttl elapsed");
    expect(h.engine.stacks.has(body.id)).toBe(false);
  });

  it("never touches a run in flight, even past its expiry", async () => {
    h.engine.defaultScript = { phaseMs: 800 };
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "BUILDING");
    await maintenancePass(deps());
    h.engine.defaultScript = {};
    const run = await h.waitFor(body.id, (r) => r.status === "READY");
    expect(run.history.map((t: any) => t.to)).not.toContain("DESTROYING");
  });

  it("queues a run whose job never reached Redis", async () => {
    const rt = h.server.runtime;
    const { body } = await h.call("POST", "/runs", { body: { ...repo, ttl: 3600 } });
    await h.waitFor(body.id, (r) => r.status === "READY");
    // Simulate a DELETE whose enqueue was lost: DESTROYING, no job, no holder.
    await rt.store.transition(body.id, "DESTROYING", { holder: null, set: { enqueuedAt: null } });
    await maintenancePass(deps());
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
  });
});

describe("orphan sweeper", () => {
  it("destroys stacks without a live record and keeps the others", async () => {
    const { body: live } = await h.call("POST", "/runs", { body: { ...repo, ttl: 3600 } });
    await h.waitFor(live.id, (r) => r.status === "READY");
    const { body: gone } = await h.call("POST", "/runs", { body: { ...repo, ttl: 3600 } });
    await h.waitFor(gone.id, (r) => r.status === "READY");
    await h.call("DELETE", `/runs/${gone.id}`);
    await h.waitFor(gone.id, (r) => r.status === "DESTROYED");
    h.engine.stacks.add(gone.id); // a stack the destroy left behind
    h.engine.stacks.add("orphan0001"); // a stack with no record at all
    expect(await maintenancePass(deps(new Date()))).toBe(true);
    expect(h.engine.stacks.has("orphan0001")).toBe(false);
    expect(h.engine.stacks.has(gone.id)).toBe(false);
    expect(h.engine.stacks.has(live.id)).toBe(true);
  });

  it("does nothing while another instance holds the sweep lock", async () => {
    h.engine.stacks.add("orphan0002");
    const other = await tryLock(h.server.runtime.redis, SWEEP_LOCK, 10_000);
    expect(other).toBeDefined();
    expect(await maintenancePass(deps(new Date()))).toBe(false);
    expect(h.engine.stacks.has("orphan0002")).toBe(true);
    await other!.release();
    expect(await maintenancePass(deps(new Date()))).toBe(true);
    expect(h.engine.stacks.has("orphan0002")).toBe(false);
  });
});
