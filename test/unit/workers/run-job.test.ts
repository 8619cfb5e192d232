/**
 * A worker's job against an in-memory run store and the fake engine: every path of the lifecycle a
 * job drives, what it stores and streams on the way, and the transitions it must not write.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../../../automation/bus/job-queue";
import { EngineFailure } from "../../../automation/engine/run-engine";
import type { RunRecord } from "../../../automation/runs/run";
import type { RunState } from "../../../automation/runs/states";
import { runJob, type JobContext, type JobOutcome } from "../../../automation/workers/run-job";
import { FakeEngine } from "../../support/fake-engine";
import { MemoryRunStore } from "../../support/memory-run-store";
import { queuedRun } from "../../support/run-record";

const ME = "host-1-abc-0";

/** A job's world: the store, the engine, what it streamed and what it did with the queue. */
function world(phaseMs = 20) {
  const store = new MemoryRunStore();
  const engine = new FakeEngine(phaseMs);
  const events: { runId: string; type: string; data: Record<string, unknown> }[] = [];
  const queueCalls: string[] = [];
  const shutdown = new AbortController();
  const ctx: JobContext = {
    store,
    engine,
    queue: {
      touch: async () => undefined,
      giveTo: async (consumer) => void queueCalls.push(`giveTo ${consumer}`),
      handBack: async (consumer) => void queueCalls.push(`handBack ${consumer}`),
    },
    events: {
      append: async (runId, type, data) =>
        void events.push({ runId, type, data: data as Record<string, unknown> }),
    },
    logger: pino({ level: "silent" }),
    consumer: ME,
    visibilityTimeoutMs: 60_000,
    maxAttempts: 3,
    shutdown: shutdown.signal,
    pollMs: 5,
  };
  const states = (id: string) =>
    events.filter((e) => e.runId === id && e.type === "state").map((e) => e.data.status);
  const history = async (id: string) => (await store.get(id))!.history.map((h) => `${h.from}->${h.to}`);
  return { store, engine, events, queueCalls, shutdown, ctx, states, history };
}

type World = ReturnType<typeof world>;
let n = 0;
function add(w: World, overrides: Partial<RunRecord> = {}): string {
  const id = `run${String(++n).padStart(5, "0")}`;
  w.store.insert(queuedRun(id, overrides));
  return id;
}
const job = (runId: string, action: Job["action"], reclaimed = false): Job => ({
  entryId: `${n}-0`,
  runId,
  action,
  reclaimed,
});

/** Waits until the run is in `status` (the job is then mid-phase). */
async function until(w: World, id: string, status: RunState): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ((await w.store.get(id))?.status === status) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`run ${id} never reached ${status}`);
}

/** Moves a run as the service or the reaper does (nobody holds it). */
async function ownerMoves(w: World, id: string, to: RunState, set: Partial<RunRecord> = {}) {
  const moved = await w.store.transition(id, to, { holder: null, set });
  expect(moved.ok).toBe(true);
}

const pending: Promise<unknown>[] = [];
afterEach(async () => {
  await Promise.allSettled(pending.splice(0));
});

/** Starts a deploy job and waits until it builds; resolves to the job's outcome, still to come. */
async function deployUntilBuilding(w: World, id: string): Promise<{ outcome: Promise<JobOutcome> }> {
  const outcome = runJob(job(id, "deploy"), w.ctx);
  pending.push(outcome);
  await until(w, id, "BUILDING");
  return { outcome };
}

describe("a deploy job", () => {
  it("takes a queued run through the phases to READY and stores the engine's result", async () => {
    const w = world();
    const id = add(w);
    expect(await runJob(job(id, "deploy"), w.ctx)).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({
      status: "READY",
      holder: null,
      heartbeatAt: null,
      reason: null,
      commitSha: w.engine.commit,
      namespace: `run-${id}`,
      previewUrls: { app: `http://localhost:30080/run-${id}/` },
      previewTargets: { app: { service: "app", port: 3000 } },
      localUrls: {},
    });
    expect(await w.history(id)).toEqual([
      "null->QUEUED",
      "QUEUED->CLONING",
      "CLONING->BUILDING",
      "BUILDING->DEPLOYING",
      "DEPLOYING->READY",
    ]);
    expect(w.states(id)).toEqual(["CLONING", "BUILDING", "DEPLOYING", "READY"]);
    expect(w.events.filter((e) => e.type === "output").map((e) => e.data.line)).toContain(`building ${id}`);
    expect(run.phases.DEPLOYING?.endedAt).toBeInstanceOf(Date);
  });

  it("fails the run with the engine's reason, released and streamed", async () => {
    const w = world();
    const id = add(w);
    w.engine.scripts.set(id, { failIn: { phase: "BUILDING", reason: "npm ci exited with 1" } });
    expect(await runJob(job(id, "deploy"), w.ctx)).toBe("done");
    expect(await w.store.get(id)).toMatchObject({
      status: "FAILED",
      reason: "npm ci exited with 1",
      holder: null,
    });
    expect(await w.history(id)).toEqual([
      "null->QUEUED",
      "QUEUED->CLONING",
      "CLONING->BUILDING",
      "BUILDING->FAILED",
    ]);
    const failed = w.events.find((e) => e.type === "state" && e.data.status === "FAILED");
    expect(failed?.data.reason).toBe("npm ci exited with 1");
  });

  it("hides an unexpected engine error's text behind a plain reason", async () => {
    const w = world();
    const id = add(w);
    w.engine.scripts.set(id, { crash: "ECONNRESET at /secret/path" });
    await runJob(job(id, "deploy"), w.ctx);
    const run = (await w.store.get(id))!;
    expect(run.status).toBe("FAILED");
    expect(run.reason).toBe("the engine failed unexpectedly; see the server's log");
  });

  it("stops and cancels a run whose owner cancels it while it builds", async () => {
    const w = world(200);
    const id = add(w);
    const { outcome } = await deployUntilBuilding(w, id);
    await w.store.patch(id, { cancelRequested: true }, { inStates: ["CLONING", "BUILDING", "DEPLOYING"] });
    expect(await outcome).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({ status: "CANCELLED", reason: "cancelled by the owner", holder: null });
    expect(run.history.at(-1)).toMatchObject({
      from: "BUILDING",
      to: "CANCELLED",
      reason: "cancelled by the owner",
    });
    expect(w.engine.stacks.has(id)).toBe(false); // stopped before DEPLOYING made the stack
  });

  it("destroys a run its owner deletes while it deploys", async () => {
    const w = world(200);
    const id = add(w);
    const { outcome } = await deployUntilBuilding(w, id);
    await w.store.patch(id, { destroyRequested: true, cancelRequested: true }, { inStates: ["BUILDING"] });
    expect(await outcome).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({ status: "DESTROYED", holder: null, cancelRequested: false });
    expect(run.history.slice(-2)).toMatchObject([
      { from: "BUILDING", to: "DESTROYING", reason: "deleted while deploying" },
      { from: "DESTROYING", to: "DESTROYED" },
    ]);
    expect(w.engine.calls.map((c) => c.op)).toEqual(["deploy", "destroy"]);
  });

  it("hands the job back on shutdown and leaves the run held, without a live heartbeat", async () => {
    const w = world(200);
    const id = add(w);
    const { outcome } = await deployUntilBuilding(w, id);
    w.shutdown.abort();
    expect(await outcome).toBe("handed-back");
    expect(w.queueCalls).toEqual([`handBack ${ME}`]);
    expect(await w.store.get(id)).toMatchObject({ status: "BUILDING", holder: ME, heartbeatAt: null });
    expect(w.states(id)).toEqual(["CLONING", "BUILDING"]);
  });

  it("stops writing once another worker holds the run", async () => {
    const w = world(200);
    const id = add(w);
    const { outcome } = await deployUntilBuilding(w, id);
    const taken = await w.store.patch(id, { holder: "host-2-def-0" }, { holder: ME });
    expect(await outcome).toBe("lost");
    // The engine's later phases come to nothing: the record is as the other worker left it.
    await new Promise((r) => setTimeout(r, 500));
    expect(await w.store.get(id)).toEqual(taken);
    expect(w.states(id)).toEqual(["CLONING", "BUILDING"]);
    expect(w.queueCalls).toEqual([]);
  });

  it("resumes a run whose worker stopped: clears the stale update and starts over at CLONING", async () => {
    const w = world();
    const id = add(w, { status: "DEPLOYING", holder: "host-0-dead-0", heartbeatAt: new Date(0), attempt: 0 });
    expect(await runJob(job(id, "deploy", true), w.ctx)).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({ status: "READY", attempt: 1, holder: null });
    expect(run.history[1]).toMatchObject({
      from: "DEPLOYING",
      to: "CLONING",
      reason: "resumed after worker host-0-dead-0 stopped",
    });
    expect(w.engine.calls[0]).toEqual({ op: "cancel", runId: id });
  });

  it("fails a run interrupted as often as it may be, naming the count", async () => {
    const w = world();
    const id = add(w, { status: "BUILDING", holder: "host-0-dead-0", heartbeatAt: new Date(0), attempt: 2 });
    expect(await runJob(job(id, "deploy", true), w.ctx)).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({
      status: "FAILED",
      holder: null,
      attempt: 3,
      reason: "the run's worker stopped 3 times (crash or shutdown); giving up",
    });
    expect(run.history.at(-1)).toMatchObject({ from: "BUILDING", reason: "worker interrupted too often" });
    expect(w.engine.calls.map((c) => c.op)).toEqual(["cancel"]);
  });

  it("gives a reclaimed job back to a holder that is still alive", async () => {
    const w = world();
    const id = add(w, { status: "BUILDING", holder: "host-2-def-0", heartbeatAt: new Date(), attempt: 0 });
    const before = await w.store.get(id);
    expect(await runJob(job(id, "deploy", true), w.ctx)).toBe("lost");
    expect(w.queueCalls).toEqual(["giveTo host-2-def-0"]);
    expect(await w.store.get(id)).toEqual(before);
  });
});

describe("a destroy job", () => {
  it("destroys a READY run and clears its previews", async () => {
    const w = world();
    const id = add(w);
    await runJob(job(id, "deploy"), w.ctx);
    await ownerMoves(w, id, "DESTROYING");
    expect(await runJob(job(id, "destroy"), w.ctx)).toBe("done");
    expect(await w.store.get(id)).toMatchObject({
      status: "DESTROYED",
      holder: null,
      previewUrls: {},
      previewTargets: {},
      localUrls: {},
    });
    expect(w.states(id).slice(-1)).toEqual(["DESTROYED"]);
    expect(w.engine.stacks.has(id)).toBe(false);
  });

  it("destroys a FAILED run", async () => {
    const w = world();
    const id = add(w);
    w.engine.scripts.set(id, { failIn: { phase: "DEPLOYING", reason: "ImagePullBackOff" } });
    await runJob(job(id, "deploy"), w.ctx);
    await ownerMoves(w, id, "DESTROYING");
    expect(await runJob(job(id, "destroy"), w.ctx)).toBe("done");
    expect((await w.history(id)).slice(-3)).toEqual([
      "DEPLOYING->FAILED",
      "FAILED->DESTROYING",
      "DESTROYING->DESTROYED",
    ]);
  });

  it("ends EXPIRED with its reason when the TTL reaper asked", async () => {
    const w = world();
    const id = add(w);
    await ownerMoves(w, id, "DESTROYING", { expiring: true });
    expect(await runJob(job(id, "destroy"), w.ctx)).toBe("done");
    const run = (await w.store.get(id))!;
    expect(run).toMatchObject({ status: "EXPIRED", reason: "ttl elapsed" });
    expect(run.history.at(-1)).toMatchObject({ to: "EXPIRED", reason: "ttl elapsed" });
  });

  it("fails the run with the destroy's reason", async () => {
    const w = world();
    const id = add(w);
    await ownerMoves(w, id, "DESTROYING");
    w.engine.destroy = async () => {
      throw new EngineFailure("namespace run-x is stuck in Terminating", "deploy");
    };
    expect(await runJob(job(id, "destroy"), w.ctx)).toBe("done");
    expect(await w.store.get(id)).toMatchObject({
      status: "FAILED",
      holder: null,
      reason: "destroy failed: namespace run-x is stuck in Terminating",
    });
  });

  it("resumes a destroy whose worker stopped, in DESTROYING", async () => {
    const w = world();
    const id = add(w, {
      status: "DESTROYING",
      holder: "host-0-dead-0",
      heartbeatAt: new Date(0),
      attempt: 0,
    });
    expect(await runJob(job(id, "destroy", true), w.ctx)).toBe("done");
    expect(await w.history(id)).toEqual(["null->QUEUED", "DESTROYING->DESTROYING", "DESTROYING->DESTROYED"]);
    expect(w.engine.calls.map((c) => c.op)).toEqual(["cancel", "destroy"]);
  });

  it("hands an in-flight destroy back on shutdown", async () => {
    const w = world(300);
    const id = add(w);
    await ownerMoves(w, id, "DESTROYING");
    const outcome = runJob(job(id, "destroy"), w.ctx);
    pending.push(outcome);
    while (w.engine.calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    w.shutdown.abort();
    expect(await outcome).toBe("handed-back");
    expect(await w.store.get(id)).toMatchObject({ status: "DESTROYING", holder: ME, heartbeatAt: null });
  });
});

describe("transitions a job must not write", () => {
  it("skips a job whose run has moved on, writing nothing", async () => {
    const w = world();
    const ready = add(w);
    await runJob(job(ready, "deploy"), w.ctx);
    const destroyed = add(w);
    await ownerMoves(w, destroyed, "DESTROYING");
    await runJob(job(destroyed, "destroy"), w.ctx);
    for (const [id, action] of [
      [ready, "deploy"],
      [ready, "destroy"],
      [destroyed, "deploy"],
      [destroyed, "destroy"],
    ] as const) {
      const before = await w.store.get(id);
      expect(await runJob(job(id, action), w.ctx)).toBe("skipped");
      expect(await w.store.get(id)).toEqual(before);
    }
  });

  it("does not settle READY a deploy whose engine never reported DEPLOYING", async () => {
    const w = world();
    const id = add(w);
    const deploy = w.engine.deploy.bind(w.engine);
    w.engine.deploy = (request, listener, signal) =>
      deploy(request, { ...listener, phase: (p) => p !== "DEPLOYING" && listener.phase(p) }, signal);
    await runJob(job(id, "deploy"), w.ctx);
    expect((await w.store.get(id))!.status).toBe("BUILDING");
    expect(w.states(id)).not.toContain("READY");
  });

  it("refuses what the lifecycle has no event for, in the store", async () => {
    const w = world();
    const id = add(w);
    for (const to of ["READY", "BUILDING", "DESTROYED", "EXPIRED", "FAILED"] as const) {
      expect(await w.store.transition(id, to)).toMatchObject({ ok: false, why: "illegal" });
    }
    expect(await w.history(id)).toEqual(["null->QUEUED"]);
  });
});
