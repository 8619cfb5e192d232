/** How a stored run is shown to its owner: env by key only, dates as ISO strings, links to act on it. */
import type { StoredRun } from "../runs/store";
import { traceIdOf } from "../tracing/spans";

/** Links a client follows from a run. */
export function runLinks(id: string) {
  const self = `/runs/${id}`;
  return {
    self,
    events: `${self}/events`,
    logs: `${self}/logs`,
    cancel: `${self}/cancel`,
    redeploy: `${self}/redeploy`,
    extend: `${self}/extend`,
  };
}

/** The `Run` schema's shape; `jaegerUiUrl` (no trailing slash) gives the run's trace a `traceUrl`. */
export function runView(run: StoredRun, jaegerUiUrl?: string) {
  const traceId = traceIdOf(run.traceparent) ?? null;
  const phases: Record<string, { startedAt: string; endedAt?: string; durationMs?: number }> = {};
  for (const [name, t] of Object.entries(run.phases ?? {})) {
    if (!t?.startedAt) continue;
    phases[name] = {
      startedAt: t.startedAt.toISOString(),
      ...(t.endedAt
        ? { endedAt: t.endedAt.toISOString(), durationMs: t.endedAt.getTime() - t.startedAt.getTime() }
        : {}),
    };
  }
  return {
    id: run._id,
    status: run.status,
    repoUrl: run.repoUrl,
    ref: run.ref,
    mode: run.mode,
    envKeys: Object.keys(run.env ?? {}).sort(),
    ttl: run.ttlSeconds,
    reason: run.reason,
    commitSha: run.commitSha,
    namespace: run.namespace,
    previewUrls: run.previewUrls,
    // Only a READY run is forwarded: a record that moved on may still carry the last ones.
    localUrls: run.status === "READY" ? (run.localUrls ?? {}) : {},
    images: run.images,
    warnings: run.warnings,
    phases,
    history: run.history.map((h) => ({
      from: h.from,
      to: h.to,
      at: h.at.toISOString(),
      ...(h.reason ? { reason: h.reason } : {}),
    })),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
    expiresAt: run.expiresAt.toISOString(),
    traceId,
    traceUrl: traceId && jaegerUiUrl ? `${jaegerUiUrl}/trace/${traceId}` : null,
    links: runLinks(run._id),
  };
}

/** The 202 body of the calls that start work. */
export function acceptedView(run: StoredRun) {
  return { id: run._id, status: run.status, links: runLinks(run._id) };
}
