/**
 * The run lifecycle as one table: from state × event → to state, and what each event stores besides
 * the status. The store refuses any status change no event makes (`canTransition` in `states.ts`), and
 * a worker asks the table which state an event leads to (`nextState`) instead of naming states itself.
 */
import type { RunState } from "./states";
import type { RunPatch } from "./store";

/** Everything that moves a run: the owner's and the reaper's requests, then a worker's job. */
export const RUN_EVENTS = [
  // Through the API or the TTL reaper, on a run nobody holds.
  "redeploy",
  "owner-cancelled",
  "owner-deleted",
  "ttl-elapsed",
  // A worker's deploy job.
  "taken",
  "resumed",
  "given-up",
  "building",
  "deploying",
  "deploy-succeeded",
  "deploy-failed",
  "deploy-cancelled",
  "deploy-deleted",
  // A worker's destroy job (and "resumed", "given-up").
  "destroy-succeeded",
  "destroy-expired",
  "destroy-failed",
] as const;

export type RunEvent = (typeof RUN_EVENTS)[number];

/** What an event does: the state it leads to from each state it may happen in, and what it stores. */
export interface EventRule {
  readonly moves: Readonly<Partial<Record<RunState, RunState>>>;
  /** Fields written with the status, before whatever the caller adds (a result, an attempt). */
  readonly stores?: Readonly<RunPatch>;
  /** Why, in the run's history (`Transition.reason`), when the event itself says it. */
  readonly reason?: string;
}

const IN_DEPLOY = ["CLONING", "BUILDING", "DEPLOYING"] as const;
const UNHELD = ["QUEUED", "READY", "FAILED", "CANCELLED"] as const;

/** Every state of `from` goes to `to`. */
function all(from: readonly RunState[], to: RunState): Partial<Record<RunState, RunState>> {
  return Object.fromEntries(from.map((s) => [s, to]));
}

/** A settled run has no holder and no live heartbeat: the next job may take it at once. */
const RELEASED = { holder: null, heartbeatAt: null } as const;
/** A destroyed stack serves nothing: no preview is left to show or forward. */
const NO_PREVIEWS = { previewUrls: {}, previewTargets: {}, localUrls: {} } as const;

/**
 * The table. Besides the happy path: a worker that resumes a stopped job goes back to CLONING (or
 * DESTROYING); a deploy asked to stop ends CANCELLED or goes straight to DESTROYING (a DELETE in
 * flight, or one that arrived as it became READY); a redeploy sends a settled run back to QUEUED.
 */
export const LIFECYCLE: Readonly<Record<RunEvent, EventRule>> = {
  redeploy: { moves: all(["READY", "FAILED", "CANCELLED"], "QUEUED") },
  "owner-cancelled": { moves: { QUEUED: "CANCELLED" } },
  "owner-deleted": { moves: all(UNHELD, "DESTROYING") },
  "ttl-elapsed": { moves: all(UNHELD, "DESTROYING") },

  taken: { moves: { QUEUED: "CLONING" } },
  resumed: { moves: { ...all(IN_DEPLOY, "CLONING"), DESTROYING: "DESTROYING" } },
  "given-up": { moves: all([...IN_DEPLOY, "DESTROYING"], "FAILED"), stores: { holder: null } },
  building: { moves: { CLONING: "BUILDING" } },
  deploying: { moves: all(["CLONING", "BUILDING"], "DEPLOYING") },
  "deploy-succeeded": { moves: { DEPLOYING: "READY" }, stores: { ...RELEASED, reason: null } },
  "deploy-failed": { moves: all(IN_DEPLOY, "FAILED"), stores: RELEASED },
  "deploy-cancelled": {
    moves: all(IN_DEPLOY, "CANCELLED"),
    stores: { ...RELEASED, reason: "cancelled by the owner" },
    reason: "cancelled by the owner",
  },
  "deploy-deleted": {
    moves: all([...IN_DEPLOY, "READY"], "DESTROYING"),
    stores: { cancelRequested: false },
    reason: "deleted while deploying",
  },

  "destroy-succeeded": { moves: { DESTROYING: "DESTROYED" }, stores: { ...RELEASED, ...NO_PREVIEWS } },
  "destroy-expired": {
    moves: { DESTROYING: "EXPIRED" },
    stores: { ...RELEASED, ...NO_PREVIEWS, reason: "ttl elapsed" },
    reason: "ttl elapsed",
  },
  "destroy-failed": { moves: { DESTROYING: "FAILED" }, stores: RELEASED },
};

/** An event that cannot happen to a run in its state; the message names both and the legal states. */
export class IllegalTransition extends Error {
  constructor(
    readonly from: RunState,
    readonly event: RunEvent,
  ) {
    const legal = Object.keys(LIFECYCLE[event].moves).join(", ");
    super(`a run in state ${from} cannot take the event "${event}" (only from ${legal})`);
    this.name = "IllegalTransition";
  }
}

/** The state `event` leads to from `from`; throws `IllegalTransition` when the table has no such move. */
export function nextState(from: RunState, event: RunEvent): RunState {
  const to = LIFECYCLE[event].moves[from];
  if (!to) throw new IllegalTransition(from, event);
  return to;
}

/**
 * The states from which `event` leads to `to`: a writer's compare-and-set narrows to them, so the
 * event is checked against the record as it is when written, not as the writer last saw it.
 */
export function sourcesOf(event: RunEvent, to: RunState): RunState[] {
  return Object.entries(LIFECYCLE[event].moves)
    .filter(([, target]) => target === to)
    .map(([from]) => from as RunState);
}
