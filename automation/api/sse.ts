/**
 * `GET /runs/:id/events` as Server-Sent Events: replays the run's event stream after `Last-Event-ID`,
 * then follows it, with heartbeat comments, and closes once the run has settled.
 */
import type { Request, Response } from "express";
import type { Logger } from "pino";
import type { EventLog, RunEvent } from "../bus/event-log";
import { SETTLED, type RunState } from "../runs/states";
import type { RunStore } from "../runs/store";

/** What the stream needs. */
export interface SseDeps {
  readonly events: EventLog;
  readonly store: RunStore;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  /** How often the stream looks for new events (default 250 ms). */
  readonly pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settledState(event: RunEvent): RunState | undefined {
  if (event.type !== "state") return undefined;
  try {
    const status = (JSON.parse(event.data) as { status?: RunState }).status;
    return status && SETTLED.includes(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

/** Streams a run's events to `res` until the run settles or the client goes away. */
export async function streamEvents(
  req: Request,
  res: Response,
  deps: SseDeps,
  runId: string,
  lastEventId: string | undefined,
): Promise<void> {
  const status = (await deps.store.get(runId))?.status;
  // Replay first (the awaits above may 503 before any byte is written); only then commit to SSE.
  let cursor = lastEventId;
  let backlog = await deps.events.readAfter(runId, cursor, 1000);

  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.write("retry: 2000\n\n");

  let closed = false;
  req.on("close", () => {
    closed = true;
  });
  const send = (e: RunEvent) => {
    // JSON has no raw newlines, so one data line is enough; the id makes Last-Event-ID replay work.
    res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`);
    cursor = e.id;
  };

  // A stream for a run that had already settled is a replay: send it and close.
  const alreadySettled = status !== undefined && SETTLED.includes(status);
  let lastBeat = Date.now();
  let lastCheck = Date.now();
  const pollMs = deps.pollMs ?? 250;
  // Settled states in the replay are history (a run goes READY, then DESTROYING): only a settled state
  // that arrives while following ends the stream; a race with the replay is caught by the record check.
  let replaying = true;
  try {
    while (!closed) {
      for (const e of backlog) {
        send(e);
        if (!replaying && settledState(e)) closed = true;
      }
      replaying = false;
      if (closed) break;
      if (alreadySettled && backlog.length < 1000) break;
      if (Date.now() - lastBeat >= deps.heartbeatMs) {
        res.write(": heartbeat\n\n");
        lastBeat = Date.now();
      }
      // Settled without an event we saw (Redis lost it): the record is the truth; close.
      if (Date.now() - lastCheck >= deps.heartbeatMs) {
        lastCheck = Date.now();
        const now = await deps.store.get(runId).catch(() => undefined);
        if (now && SETTLED.includes(now.status) && backlog.length === 0) break;
      }
      await sleep(backlog.length ? 0 : pollMs);
      backlog = await deps.events.readAfter(runId, cursor, 1000).catch((err: Error) => {
        deps.logger.debug({ runId, err: err.message }, "event stream read failed; retrying");
        return [];
      });
    }
  } finally {
    res.end();
  }
}
