/**
 * The short wait for a READY run's local URLs. The API server's local previews loop opens a run's
 * listeners and writes its `localUrls` on its first pass after the run is READY (a pass every 2 s), so
 * a follower that reported the run the moment it was READY would miss them. Whether a server forwards
 * at all (`REPORUNNER_LOCAL_PREVIEWS`) is not in the run, so the wait is bounded and taken only when
 * URLs can be expected: the run publishes a preview, shows no local URL yet and became READY moments ago.
 */
import type { ApiClient, RunView } from "./api-client";
import { sleep } from "./follow-events";

/** How long after READY local URLs are worth waiting for: three passes of the server's loop. */
export const LOCAL_URLS_WINDOW_MS = 6000;

/** Tuning for tests. */
export interface LocalUrlsWaitOptions {
  readonly windowMs?: number;
  /** Time between two reads of the run (default 250 ms). */
  readonly pollMs?: number;
}

/** The run to report, and whether its local URLs were expected but did not come in time. */
export interface LocalUrlsWait {
  readonly run: RunView;
  readonly gaveUp: boolean;
}

/**
 * How many more milliseconds to wait for `run`'s local URLs at `now`: 0 when none are to be expected.
 * The window starts at the run's READY transition, so following a run that has long been READY does
 * not wait for URLs that would have come by now.
 */
export function localUrlsWaitMs(run: RunView, now: number, windowMs = LOCAL_URLS_WINDOW_MS): number {
  if (run.status !== "READY" || hasLocalUrls(run) || Object.keys(run.previewUrls ?? {}).length === 0)
    return 0;
  const readyAt = Date.parse(run.history?.filter((h) => h.to === "READY").at(-1)?.at ?? "");
  // No transition time (an older API): count from now. A server clock ahead of ours cannot stretch it.
  const since = Number.isNaN(readyAt) ? 0 : Math.max(0, now - readyAt);
  return Math.max(0, windowMs - since);
}

/**
 * Reads the run until it shows local URLs, they are no longer to be expected, or `signal` (Ctrl-C)
 * ends the wait. Never fails: a run that cannot be read again is reported as it was.
 */
export async function awaitLocalUrls(
  client: Pick<ApiClient, "getRun">,
  run: RunView,
  signal: AbortSignal,
  options: LocalUrlsWaitOptions = {},
): Promise<LocalUrlsWait> {
  const waitMs = localUrlsWaitMs(run, Date.now(), options.windowMs);
  if (waitMs === 0) return { run, gaveUp: false };
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && !signal.aborted) {
    await sleep(Math.min(options.pollMs ?? 250, deadline - Date.now()), signal);
    if (signal.aborted) break;
    let latest: RunView;
    try {
      latest = await client.getRun(run.id);
    } catch {
      break;
    }
    // A run that left READY meanwhile (removed at once) is reported as the READY it reached.
    if (latest.status !== "READY") break;
    if (hasLocalUrls(latest)) return { run: latest, gaveUp: false };
    run = latest;
  }
  return { run, gaveUp: !signal.aborted };
}

function hasLocalUrls(run: RunView): boolean {
  return Object.keys(run.localUrls ?? {}).length > 0;
}
