/** Run records for tests that write the store directly. */
import type { RunRecord } from "../../automation/runs/run";

/** A new QUEUED run as `POST /runs` stores it. */
export function queuedRun(id: string, overrides: Partial<RunRecord> = {}, at = new Date()): RunRecord {
  return {
    _id: id,
    owner: "alice",
    repoUrl: "https://git.example.test/o/r",
    ref: null,
    mode: "auto",
    env: {},
    ttlSeconds: 3600,
    status: "QUEUED",
    reason: null,
    commitSha: null,
    namespace: null,
    previewUrls: {},
    images: {},
    warnings: [],
    phases: {},
    history: [{ from: null, to: "QUEUED", at }],
    holder: null,
    attempt: 0,
    cancelRequested: false,
    destroyRequested: false,
    expiring: false,
    enqueuedAt: at,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(at.getTime() + 3600_000),
    ...overrides,
  };
}
