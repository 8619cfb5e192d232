/**
 * A run's Server-Sent Events (`GET /runs/:id/events`). The browser's EventSource reconnects by itself
 * and sends `Last-Event-ID`, so the API resumes after the last event seen; a stream opened again
 * (after Stop on a READY run) replays from the start, and events already seen are dropped by id.
 */
import type { RunState } from "./api";
import { SETTLED } from "./api";

export interface RunEventHandlers {
  state(status: RunState, reason: string | undefined, at: string): void;
  output?(line: string): void;
  connection?(state: "live" | "reconnecting" | "closed"): void;
}

/** `<ms>-<seq>` ids, compared as numbers. */
function after(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am! > bm! || (am === bm && as! > bs!);
}

/** Follows a run until it settles or `close()` is called. */
export function followRun(id: string, handlers: RunEventHandlers, lastSeen?: { id?: string }) {
  const seen = lastSeen ?? {};
  let status: RunState | undefined;
  const source = new EventSource(`/runs/${encodeURIComponent(id)}/events`);
  const fresh = (e: MessageEvent) => {
    if (!e.lastEventId || !after(e.lastEventId, seen.id)) return false;
    seen.id = e.lastEventId;
    return true;
  };
  source.addEventListener("open", () => handlers.connection?.("live"));
  source.addEventListener("state", (e) => {
    const m = e as MessageEvent<string>;
    const data = JSON.parse(m.data) as { status: RunState; reason?: string; at: string };
    status = data.status;
    if (fresh(m)) handlers.state(data.status, data.reason, data.at);
  });
  source.addEventListener("output", (e) => {
    const m = e as MessageEvent<string>;
    if (fresh(m)) handlers.output?.((JSON.parse(m.data) as { line: string }).line);
  });
  source.addEventListener("error", () => {
    // The API ends the stream once the run has settled: then there is nothing more to wait for.
    if (status && SETTLED.includes(status)) {
      source.close();
      handlers.connection?.("closed");
    } else {
      handlers.connection?.("reconnecting");
    }
  });
  return {
    close() {
      source.close();
    },
    seen,
  };
}
