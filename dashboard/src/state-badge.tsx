import type { RunState } from "./api";

const TONE: Record<RunState, string> = {
  QUEUED: "wait",
  CLONING: "busy",
  BUILDING: "busy",
  DEPLOYING: "busy",
  READY: "good",
  DESTROYING: "busy",
  DESTROYED: "gone",
  FAILED: "bad",
  CANCELLED: "gone",
  EXPIRED: "gone",
};

/** A run's state as a coloured label (the word is always there: colour is never the only sign). */
export function StateBadge({ status }: { status: RunState }) {
  return (
    <span class={`badge badge-${TONE[status]}`} data-status={status}>
      {status}
    </span>
  );
}
