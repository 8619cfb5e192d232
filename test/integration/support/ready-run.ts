import type { RunRecord } from "../../../automation/runs/run";
import { queuedRun } from "../../support/run-record";

/**
 * A READY run of alice's (the API harness's first token), as a worker stores it after a deploy:
 * for tests of what the API and its local previews make of a deploy's result, without the queue.
 */
export function readyRun(
  id: string,
  deployed: Pick<RunRecord, "namespace" | "previewUrls" | "previewTargets">,
): RunRecord {
  const at = new Date();
  return queuedRun(
    id,
    {
      mode: "compose",
      status: "READY",
      commitSha: "0123456789abcdef0123456789abcdef01234567",
      ...deployed,
      localUrls: {},
      history: [{ from: null, to: "READY", at }],
    },
    at,
  );
}
