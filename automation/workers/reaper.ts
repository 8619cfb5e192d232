/**
 * The TTL reaper: runs past their expiry are destroyed and end EXPIRED. It also re-queues runs whose
 * job never reached Redis (the enqueue failed after the record was written). It never touches a run
 * in flight: it only moves runs that nobody holds.
 */
import type { Logger } from "pino";
import type { EventLog } from "../bus/event-log";
import type { JobQueue } from "../bus/job-queue";
import { emitState } from "../runs/service";
import type { RunStore } from "../runs/store";

/** What the reaper needs. */
export interface ReaperDeps {
  readonly store: RunStore;
  readonly queue: JobQueue;
  readonly events: EventLog;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** How long a record may wait for its job before the reaper queues it (default 30 s). */
  readonly requeueAfterMs?: number;
}

/** What one pass did. */
export interface ReapResult {
  readonly expired: string[];
  readonly requeued: string[];
}

/** One pass of the reaper. */
export async function reap(deps: ReaperDeps, limit = 100): Promise<ReapResult> {
  const now = deps.now?.() ?? new Date();
  const expired: string[] = [];
  for (const run of await deps.store.findExpired(now, ["QUEUED", "READY", "FAILED", "CANCELLED"], limit)) {
    const moved = await deps.store.transition(run._id, "DESTROYING", {
      holder: null,
      expiredBy: now,
      reason: "ttl elapsed",
      set: { expiring: true, enqueuedAt: null },
    });
    if (!moved.ok) continue; // taken meanwhile: a worker holds it or the owner acted
    await emitState(deps.events, deps.logger, moved.run);
    await deps.queue.enqueue(run._id, "destroy");
    await deps.store.patch(run._id, { enqueuedAt: now }, { inStates: ["DESTROYING"] });
    expired.push(run._id);
  }
  const requeued: string[] = [];
  const before = new Date(now.getTime() - (deps.requeueAfterMs ?? 30_000));
  for (const run of await deps.store.findUnenqueued(before, limit)) {
    if (run.holder !== null) continue;
    await deps.queue.enqueue(run._id, run.status === "DESTROYING" ? "destroy" : "deploy");
    await deps.store.patch(run._id, { enqueuedAt: now }, { inStates: [run.status] });
    requeued.push(run._id);
  }
  if (expired.length || requeued.length) deps.logger.info({ expired, requeued }, "reaper pass");
  return { expired, requeued };
}
