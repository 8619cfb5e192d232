/**
 * Run states and the sets of them the service asks about. The transitions between them are the
 * lifecycle's table (`lifecycle.ts`), which the store consults before it writes a status.
 */
import { LIFECYCLE } from "./lifecycle";

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

/** Whether `from → to` is a legal transition: whether some event of the lifecycle makes it. */
export function canTransition(from: RunState, to: RunState): boolean {
  return Object.values(LIFECYCLE).some((rule) => rule.moves[from] === to);
}
