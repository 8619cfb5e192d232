/**
 * Run states and the transitions between them: the one table the store consults before it writes a
 * status, so no illegal transition can be stored.
 */

/** Every state a run can be in (DESIGN.md). */
export const RUN_STATES = [
  "QUEUED",
  "CLONING",
  "BUILDING",
  "DEPLOYING",
  "READY",
  "DESTROYING",
  "DESTROYED",
  "FAILED",
  "CANCELLED",
  "EXPIRED",
] as const;

export type RunState = (typeof RUN_STATES)[number];

/** States a worker is working in: nobody but the job's holder may write a run in one of them. */
export const IN_FLIGHT: readonly RunState[] = ["CLONING", "BUILDING", "DEPLOYING", "DESTROYING"];

/** States after which nothing happens to the run until a user acts (SSE streams close here). */
export const SETTLED: readonly RunState[] = ["READY", "FAILED", "CANCELLED", "EXPIRED", "DESTROYED"];

/** States whose stack is gone for good. */
export const FINAL: readonly RunState[] = ["DESTROYED", "EXPIRED"];

/**
 * States whose expiry may be moved (`POST /runs/:id/extend`): every state but the final ones and
 * DESTROYING, whose stack is already on its way out.
 */
export const EXTENDABLE: readonly RunState[] = RUN_STATES.filter(
  (s) => s !== "DESTROYING" && !FINAL.includes(s),
);

/**
 * to ← from. Besides the happy path: a worker that resumes a crashed job goes back to CLONING; a
 * deploy that is asked to stop goes to CANCELLED or straight to DESTROYING (DELETE in flight); a
 * redeploy sends a settled run back to QUEUED; a destroy ends in EXPIRED when the TTL reaper asked.
 */
const FROM: Record<RunState, readonly RunState[]> = {
  QUEUED: ["READY", "FAILED", "CANCELLED"],
  CLONING: ["QUEUED", "CLONING", "BUILDING", "DEPLOYING"],
  BUILDING: ["CLONING"],
  DEPLOYING: ["CLONING", "BUILDING"],
  READY: ["DEPLOYING"],
  DESTROYING: ["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY", "FAILED", "CANCELLED", "DESTROYING"],
  DESTROYED: ["DESTROYING"],
  FAILED: ["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "DESTROYING"],
  CANCELLED: ["QUEUED", "CLONING", "BUILDING", "DEPLOYING"],
  EXPIRED: ["DESTROYING"],
};

/** The states a run may be in for `to` to be written. */
export function allowedFrom(to: RunState): readonly RunState[] {
  return FROM[to];
}

/** Whether `from → to` is a legal transition. */
export function canTransition(from: RunState, to: RunState): boolean {
  return FROM[to].includes(from);
}
