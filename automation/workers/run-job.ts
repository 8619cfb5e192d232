/**
 * What a worker does with one job: take the run (compare-and-set on status and holder), drive the
 * engine, write each phase, and settle the run. Only the job's holder writes an in-flight run; a
 * worker that finds its holder gone (crash, shutdown) clears the stale stack lock and resumes the run,
 * or fails it once it has been interrupted too often.
 */
import type { Logger } from "pino";
import type { EventLog } from "../bus/event-log";
import type { Job, JobQueue } from "../bus/job-queue";
import { isOutage } from "../dependencies";
import { EngineFailure, type DeployPhase, type EngineListener, type RunEngine } from "../engine/run-engine";
import { LIFECYCLE, nextState, sourcesOf, type RunEvent } from "../runs/lifecycle";
import { emitState } from "../runs/service";
import type { RunState } from "../runs/states";
import type { RunPatch, RunStore, StoredRun, TransitionOptions, TransitionResult } from "../runs/store";
import {
  activeSpan,
  contextOf,
  failSpan,
  inSpan,
  linkTo,
  RUN_ID_ATTRIBUTE,
  startSpan,
} from "../tracing/spans";

/** What a job reads and writes of the run store (MongoDB in service, in memory in unit tests). */
export type JobStore = Pick<RunStore, "get" | "transition" | "patch" | "openEnv">;

/** What a job needs from its worker. */
export interface JobContext {
  readonly store: JobStore;
  readonly queue: Pick<JobQueue, "touch" | "giveTo" | "handBack">;
  readonly events: Pick<EventLog, "append">;
  readonly engine: RunEngine;
  readonly logger: Logger;
  /** This worker loop's consumer name: the holder written on the records it takes. */
  readonly consumer: string;
  readonly visibilityTimeoutMs: number;
  readonly maxAttempts: number;
  /** Aborted when the worker stops and its grace period is over: hand the job back. */
  readonly shutdown: AbortSignal;
  readonly pollMs?: number;
}

/**
 * done/skipped: acknowledge the job; handed-back: leave it for another worker now; lost: another
 * worker holds the run (or was given the job), so leave the job alone.
 */
export type JobOutcome = "done" | "skipped" | "handed-back" | "lost";

const DEPLOYING: readonly RunState[] = ["CLONING", "BUILDING", "DEPLOYING"];
/** Why a deploy was stopped: the owner, a lost claim, or the worker's shutdown. */
type StopReason = "cancel" | "destroy" | "lost" | "shutdown";
/**
 * The event of each phase the engine reports. None for CLONING: the run entered it when it was taken
 * or resumed, before the engine started.
 */
const PHASE_EVENTS: Partial<Record<DeployPhase, RunEvent>> = { BUILDING: "building", DEPLOYING: "deploying" };

class Lost extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one job to an outcome; never throws for anything a run can recover from. */
export async function runJob(job: Job, ctx: JobContext): Promise<JobOutcome> {
  const log = ctx.logger.child({ runId: job.runId, job: job.action, consumer: ctx.consumer });
  const run = await ctx.store.get(job.runId);
  if (!run) return "skipped";
  const taken = await take(job, run, ctx, log);
  if (typeof taken === "string") return taken;
  // The run's trace, continued from the record across the queue (none when tracing was off).
  const runTrace = contextOf(taken.traceparent);
  if (run.status === "QUEUED") traceQueueWait(run, runTrace);
  try {
    return taken.status === "DESTROYING"
      ? await destroy(job, taken, ctx, log)
      : await inSpan(
          "deploy",
          {
            [RUN_ID_ATTRIBUTE]: taken._id,
            "reporunner.attempt": taken.attempt,
            "reporunner.worker": ctx.consumer,
          },
          () => deploy(job, taken, ctx, log),
          { parent: runTrace },
        );
  } catch (err) {
    if (err instanceof Lost) return "lost";
    if (ctx.shutdown.aborted) return handBack(job, ctx);
    throw err;
  }
}

/** The span of the time a run waited on the queue: from its last QUEUED until a worker took it. */
function traceQueueWait(run: StoredRun, runTrace: ReturnType<typeof contextOf>): void {
  if (!runTrace) return;
  const queued = [...run.history].reverse().find((h) => h.to === "QUEUED")?.at ?? run.createdAt;
  startSpan("queue wait", { attributes: { [RUN_ID_ATTRIBUTE]: run._id }, startTime: queued }, runTrace).end();
}

/** Takes the run for this job, or says why not. */
async function take(job: Job, run: StoredRun, ctx: JobContext, log: Logger): Promise<StoredRun | JobOutcome> {
  const me = ctx.consumer;
  if (job.action === "deploy" && run.status === "QUEUED") {
    const moved = await apply(ctx, log, run, "taken", {
      holder: null,
      set: { holder: me, heartbeatAt: new Date() },
    });
    if (!moved.ok) return "skipped";
    await emitState(ctx.events, log, moved.run);
    return moved.run;
  }
  const held = job.action === "deploy" ? DEPLOYING.includes(run.status) : run.status === "DESTROYING";
  if (!held) return "skipped"; // a duplicate or stale job: the run has moved on
  if (run.holder === null && job.action === "destroy") {
    const mine = await ctx.store.patch(
      run._id,
      { holder: me, heartbeatAt: new Date() },
      { inStates: ["DESTROYING"], holder: null },
    );
    return mine ?? "skipped";
  }
  if (run.holder === me) return run;
  if (!job.reclaimed) return "skipped"; // somebody else works on it; this copy of the job is redundant
  const beat = run.heartbeatAt?.getTime() ?? 0;
  if (run.holder && Date.now() - beat < ctx.visibilityTimeoutMs) {
    // The holder is alive but its claim lapsed (Redis was away): give the job back to it.
    await ctx.queue.giveTo(run.holder, job.entryId);
    return "lost";
  }
  log.warn({ previousHolder: run.holder, attempt: run.attempt }, "taking over a run whose worker stopped");
  try {
    await ctx.engine.cancel(run._id);
  } catch (err) {
    log.warn({ err: (err as Error).message }, "could not cancel the stale update; continuing");
  }
  const attempt = run.attempt + 1;
  if (attempt >= ctx.maxAttempts) {
    const failed = await apply(ctx, log, run, "given-up", {
      holder: run.holder,
      reason: "worker interrupted too often",
      set: { attempt, reason: `the run's worker stopped ${attempt} times (crash or shutdown); giving up` },
    });
    if (failed.ok) await emitState(ctx.events, log, failed.run);
    return failed.ok ? "done" : "skipped";
  }
  const set: RunPatch = { holder: me, attempt, heartbeatAt: new Date() };
  const reason = `resumed after worker ${run.holder ?? "?"} stopped`;
  // A deploy starts over at CLONING; a destroy goes on in DESTROYING.
  const moved = await apply(ctx, log, run, "resumed", { holder: run.holder, reason, set });
  if (!moved.ok) return "skipped";
  await emitState(ctx.events, log, moved.run);
  return moved.run;
}

/** Deploys; on the owner's request stops and cancels or destroys; settles the run. */
async function deploy(job: Job, run: StoredRun, ctx: JobContext, log: Logger): Promise<JobOutcome> {
  const stop = new AbortController();
  let why: StopReason | undefined;
  const halt = (reason: StopReason) => {
    if (!why) {
      why = reason;
      stop.abort(new Error(`deploy stopped: ${reason}`));
    }
  };
  const onShutdown = () => halt("shutdown");
  ctx.shutdown.addEventListener("abort", onShutdown);
  const watch = watchRun(job, ctx, (flags) => {
    if (flags === "lost") halt("lost");
    else if (flags.destroyRequested) halt("destroy");
    else if (flags.cancelRequested) halt("cancel");
  });

  // The state this job last wrote: the one the settling event starts from.
  let status = run.status;
  let writes = Promise.resolve();
  const listener: EngineListener = {
    phase: (phase: DeployPhase) => {
      writes = writes.then(async () => {
        const event = PHASE_EVENTS[phase];
        if (why || !event) return;
        const current = await ctx.store.get(run._id);
        if (current?.status === phase) return;
        if (!current) return halt("lost");
        const moved = await write(ctx, () => apply(ctx, log, current, event, { holder: ctx.consumer }));
        if (!moved.ok) return halt("lost");
        status = moved.run.status;
        await emitState(ctx.events, log, moved.run);
      });
    },
    output: (line: string) => {
      log.debug({ line }, "engine output");
      ctx.events.append(run._id, "output", { line }).catch(() => undefined);
    },
  };

  let result: Awaited<ReturnType<RunEngine["deploy"]>> | undefined;
  let failure: unknown;
  try {
    result = await ctx.engine.deploy(
      // The values are opened here, for this deploy only: the record keeps them sealed.
      {
        runId: run._id,
        repoUrl: run.repoUrl,
        ref: run.ref ?? undefined,
        mode: run.mode,
        ...(run.previewPort !== undefined ? { previewPort: run.previewPort } : {}),
        env: ctx.store.openEnv(run),
      },
      listener,
      stop.signal,
    );
  } catch (err) {
    failure = err;
  } finally {
    watch.stop();
    ctx.shutdown.removeEventListener("abort", onShutdown);
  }
  await writes.catch(() => undefined);

  if (why === "lost") return "lost";
  if (why === "shutdown" || (ctx.shutdown.aborted && failure)) return handBack(job, ctx);

  if (result && !failure) {
    const ready = await settle(ctx, log, { _id: run._id, status }, "deploy-succeeded", {
      set: {
        commitSha: result.commitSha,
        namespace: result.namespace,
        previewUrls: { ...result.previewUrls },
        // Until every engine reports targets (the contract grew them), a missing field means none.
        previewTargets: { ...(result.previewTargets ?? {}) },
        // Local previews write their own URLs once they listen for this deploy's targets.
        localUrls: {},
        images: { ...result.images },
        warnings: [...result.warnings],
      },
    });
    // A delete that arrived as the deploy finished: the run is settled (nobody holds it), so take it again.
    if (ready.destroyRequested) return destroyAfterDeploy(job, ctx, log, ready, null);
    return "done";
  }
  const latest = await write(ctx, () => ctx.store.get(run._id));
  if (latest?.destroyRequested || why === "destroy") {
    return destroyAfterDeploy(job, ctx, log, { _id: run._id, status }, ctx.consumer);
  }
  if (why === "cancel" || latest?.cancelRequested) {
    await settle(ctx, log, { _id: run._id, status }, "deploy-cancelled");
    return "done";
  }
  const reason =
    failure instanceof EngineFailure
      ? failure.reason
      : "the engine failed unexpectedly; see the server's log";
  log.warn({ err: failure instanceof Error ? failure.message : String(failure) }, "deploy failed");
  await settle(ctx, log, { _id: run._id, status }, "deploy-failed", { reason, set: { reason } });
  return "done";
}

/** Takes a run whose owner deleted it while it deployed (from `holder`) on to its destroy. */
async function destroyAfterDeploy(
  job: Job,
  ctx: JobContext,
  log: Logger,
  run: Pick<StoredRun, "_id" | "status">,
  holder: string | null,
): Promise<JobOutcome> {
  const moved = await write(ctx, () =>
    apply(ctx, log, run, "deploy-deleted", { holder, set: { holder: ctx.consumer } }),
  );
  if (!moved.ok) return "lost";
  await emitState(ctx.events, log, moved.run);
  return destroy(job, moved.run, ctx, log);
}

/**
 * Destroys the stack and settles the run: DESTROYED, or EXPIRED when the reaper asked. The destroy is
 * a trace of its own, linked to the run's: it comes from another request (a DELETE, the TTL reaper),
 * often hours after the deploy, and inside the deploy's trace it would stretch that trace's timeline
 * over the run's whole life.
 */
function destroy(job: Job, run: StoredRun, ctx: JobContext, log: Logger): Promise<JobOutcome> {
  return inSpan(
    "destroy",
    {
      [RUN_ID_ATTRIBUTE]: run._id,
      "reporunner.run.expiring": run.expiring,
      "reporunner.worker": ctx.consumer,
    },
    () => destroyRun(job, run, ctx, log),
    { parent: "root", links: linkTo(run.traceparent) },
  );
}

async function destroyRun(job: Job, run: StoredRun, ctx: JobContext, log: Logger): Promise<JobOutcome> {
  const watch = watchRun(job, ctx, () => undefined);
  const listener: EngineListener = {
    phase: () => undefined,
    output: (line) => {
      log.debug({ line }, "engine output");
      ctx.events.append(run._id, "output", { line }).catch(() => undefined);
    },
  };
  try {
    await ctx.engine.destroy(run._id, listener, ctx.shutdown);
  } catch (err) {
    watch.stop();
    if (ctx.shutdown.aborted) return handBack(job, ctx);
    const reason =
      err instanceof EngineFailure ? `destroy failed: ${err.reason}` : "destroy failed; see the server's log";
    log.warn({ err: (err as Error).message }, "destroy failed");
    await settle(ctx, log, run, "destroy-failed", { reason, set: { reason } });
    return "done";
  }
  watch.stop();
  await settle(ctx, log, run, run.expiring ? "destroy-expired" : "destroy-succeeded");
  return "done";
}

/** What a job adds to an event's own transition: the holder it expects, a reason, more fields. */
type EventOptions = Pick<TransitionOptions, "holder" | "reason" | "set">;

/**
 * Applies `event` to a run last seen in `run.status`, as the lifecycle's table says: the state it
 * leads to and the fields it stores, written as a compare-and-set that also checks the record is
 * still in a state the event leads from. A move the table does not have is refused like the store
 * refuses one, and logged with the table's reason.
 */
async function apply(
  ctx: JobContext,
  log: Logger,
  run: Pick<StoredRun, "_id" | "status">,
  event: RunEvent,
  options: EventOptions,
): Promise<TransitionResult> {
  let to: RunState;
  try {
    to = nextState(run.status, event);
  } catch (err) {
    log.warn({ err: (err as Error).message }, "refused a transition the lifecycle does not have");
    return { ok: false, why: "illegal" };
  }
  const rule = LIFECYCLE[event];
  return ctx.store.transition(run._id, to, {
    from: sourcesOf(event, to),
    holder: options.holder,
    reason: options.reason ?? rule.reason,
    set: { ...rule.stores, ...options.set },
  });
}

/** Writes a settling event as the holder; throws Lost when another worker holds the run now. */
async function settle(
  ctx: JobContext,
  log: Logger,
  run: Pick<StoredRun, "_id" | "status">,
  event: RunEvent,
  options: Omit<EventOptions, "holder"> = {},
): Promise<StoredRun> {
  const moved = await write(ctx, () => apply(ctx, log, run, event, { ...options, holder: ctx.consumer }));
  if (!moved.ok) throw new Lost(`could not write ${event}: ${moved.why}`);
  const to = moved.run.status;
  const reason = options.reason ?? LIFECYCLE[event].reason;
  // The deploy's or destroy's span says how the run ended.
  const span = activeSpan();
  span?.setAttribute("reporunner.run.status", to);
  if (span && to === "FAILED") failSpan(span, new Error(reason ?? "failed"), reason);
  await emitState(ctx.events, log, moved.run);
  return moved.run;
}

/** Retries a store write through a MongoDB outage (up to ten minutes), so a finished job is not lost. */
async function write<T>(ctx: JobContext, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 600_000;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isOutage(err) || Date.now() > deadline || ctx.shutdown.aborted) throw err;
      ctx.logger.warn({ err: (err as Error).message }, "store unavailable; retrying the write");
      await sleep(wait);
    }
  }
}

/**
 * While a job runs: refresh the job's claim and the record's heartbeat, and watch the record for the
 * owner's cancel/delete and for a lost hold.
 */
function watchRun(
  job: Job,
  ctx: JobContext,
  onChange: (flags: "lost" | Pick<StoredRun, "cancelRequested" | "destroyRequested">) => void,
): { stop(): void } {
  const pollMs = ctx.pollMs ?? 1000;
  const beatEvery = Math.max(pollMs, Math.floor(ctx.visibilityTimeoutMs / 3));
  let lastBeat = Date.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        if (Date.now() - lastBeat >= beatEvery) {
          await ctx.queue.touch(ctx.consumer, job.entryId);
          const mine = await ctx.store.patch(
            job.runId,
            { heartbeatAt: new Date() },
            { holder: ctx.consumer },
          );
          lastBeat = Date.now();
          if (!mine) return onChange("lost");
          return onChange(mine);
        }
        const run = await ctx.store.get(job.runId);
        if (run && run.holder !== ctx.consumer) return onChange("lost");
        if (run) onChange(run);
      } catch {
        // An outage: the next tick tries again; the deploy itself goes on.
      } finally {
        busy = false;
      }
    })();
  }, pollMs);
  return { stop: () => clearInterval(timer) };
}

/** Leaves the job for the next worker at once, and the record without a live heartbeat. */
async function handBack(job: Job, ctx: JobContext): Promise<JobOutcome> {
  await ctx.store.patch(job.runId, { heartbeatAt: null }, { holder: ctx.consumer }).catch(() => undefined);
  await ctx.queue.handBack(ctx.consumer, job.entryId, ctx.visibilityTimeoutMs + 1000).catch(() => undefined);
  return "handed-back";
}
