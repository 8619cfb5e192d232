/**
 * The decisions of local previews, apart from sockets and stores: which listeners should exist for the
 * READY runs, which to open and close, and which runs' `localUrls` are out of date.
 */
import type { ReadyPreviewRun } from "../runs/store";

/** One preview to forward: a run's Service port, listened for under `key`. */
export interface WantedPreview {
  /** `<run id>/<preview name>`: names are `web` or `web:8443`, never with a slash. */
  readonly key: string;
  readonly runId: string;
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  /** The Service's port, which connections are forwarded to. */
  readonly port: number;
  /**
   * The native port asked for on localhost, when it is not `port`: the one compose publishes (8088
   * of "8088:80"). Unset: `port` (a platform service forwarded as it is).
   */
  readonly localPort?: number;
}

/** What a pass changes: listeners to close first (their ports free up), then listeners to open. */
export interface ListenerPlan {
  readonly close: readonly string[];
  readonly open: readonly WantedPreview[];
}

/** A conditional write of one run's local URLs. */
export interface LocalUrlsWrite {
  readonly runId: string;
  /** The version read: the write is skipped when the run was written since. */
  readonly version: number;
  readonly localUrls: Record<string, string>;
}

/** The URL a preview listening on `port` is reached at: `tcp://` for a database or a broker. */
export function localUrl(port: number, protocol: "http" | "tcp" = "http"): string {
  return `${protocol}://localhost:${port}`;
}

/** Every preview of the runs, in the runs' order (oldest first, so the oldest gets a contested port). */
export function wantedPreviews(runs: readonly ReadyPreviewRun[]): WantedPreview[] {
  return runs.flatMap((run) =>
    Object.entries(run.previewTargets ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, target]) => ({
        key: `${run._id}/${name}`,
        runId: run._id,
        name,
        namespace: run.namespace ?? `run-${run._id}`,
        service: target.service,
        port: target.port,
        localPort: target.localPort ?? target.port,
      })),
  );
}

const sameTarget = (a: WantedPreview, b: WantedPreview) =>
  a.namespace === b.namespace && a.service === b.service && a.port === b.port && a.localPort === b.localPort;

/**
 * Closes what is open but no longer wanted (the run left READY, or a redeploy changed the target) and
 * opens what is wanted but not open. A listener that stays keeps its port, even one it fell back to.
 */
export function planListeners(
  wanted: readonly WantedPreview[],
  open: ReadonlyMap<string, WantedPreview>,
): ListenerPlan {
  const byKey = new Map(wanted.map((w) => [w.key, w]));
  const close = [...open].filter(([key, o]) => !byKey.has(key) || !sameTarget(o, byKey.get(key)!));
  const closing = new Set(close.map(([key]) => key));
  return {
    close: close.map(([key]) => key),
    open: wanted.filter((w) => !open.has(w.key) || closing.has(w.key)),
  };
}

function sameUrls(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** The runs whose stored `localUrls` differ from where their previews listen (`ports` by key). */
export function localUrlWrites(
  runs: readonly ReadyPreviewRun[],
  ports: ReadonlyMap<string, number>,
): LocalUrlsWrite[] {
  const writes: LocalUrlsWrite[] = [];
  for (const run of runs) {
    const localUrls: Record<string, string> = {};
    for (const [name, target] of Object.entries(run.previewTargets ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const port = ports.get(`${run._id}/${name}`);
      if (port !== undefined) localUrls[name] = localUrl(port, target.protocol);
    }
    if (!sameUrls(run.localUrls ?? {}, localUrls))
      writes.push({ runId: run._id, version: run.version, localUrls });
  }
  return writes;
}
