/**
 * What one status change writes, or why it may not be written: the store's check against the
 * lifecycle, the caller's conditions and the record, kept apart from MongoDB so that an in-memory
 * store (the workers' unit tests) decides exactly as the real one does.
 */
import type { Transition } from "./run";
import { canTransition, type RunState } from "./states";
import type { StoredRun, TransitionOptions } from "./store";

/** States whose start and end are timed on the record (`phases`). */
const PHASES: readonly RunState[] = ["CLONING", "BUILDING", "DEPLOYING", "DESTROYING"];

/** A transition's write: `set` (MongoDB field paths, `phases.X.endedAt`) and the history entry. */
export type TransitionPlan =
  | { ok: true; set: Record<string, unknown>; entry: Transition }
  | { ok: false; why: "illegal" | "conflict"; run: StoredRun };

/** Plans `run → to` at `at`, or refuses it: not in the lifecycle, not from `from`, not the holder's, not expired. */
export function planTransition(
  run: StoredRun,
  to: RunState,
  options: TransitionOptions,
  at: Date,
): TransitionPlan {
  if (!canTransition(run.status, to) || (options.from && !options.from.includes(run.status))) {
    return { ok: false, why: "illegal", run };
  }
  if (options.holder !== undefined && run.holder !== options.holder)
    return { ok: false, why: "conflict", run };
  if (options.expiredBy && run.expiresAt.getTime() > options.expiredBy.getTime())
    return { ok: false, why: "illegal", run };
  const set: Record<string, unknown> = { ...options.set, status: to, updatedAt: at };
  if (PHASES.includes(run.status) && run.status !== to) set[`phases.${run.status}.endedAt`] = at;
  if (PHASES.includes(to)) set[`phases.${to}`] = { startedAt: at };
  const entry = { from: run.status, to, at, ...(options.reason ? { reason: options.reason } : {}) };
  return { ok: true, set, entry };
}
