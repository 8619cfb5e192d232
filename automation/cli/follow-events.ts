/**
 * Follows a run's event stream (`GET /runs/:id/events`) until the run reaches a state the caller
 * waits for. A stream that drops or goes quiet is reopened with `Last-Event-ID`, so nothing is shown
 * twice or missed; whether the wait is over is always decided by the run record, not by the stream.
 */
import { SETTLED, type RunState } from "../runs/states";
import type { ApiClient, RunView } from "./api-client";
import { CliError } from "./cli-error";
import { EXIT } from "./io";
import { SseParser } from "./sse-parser";

/** What the follower reports while it waits. */
export type FollowEvent =
  | { readonly kind: "state"; readonly status: RunState; readonly reason?: string }
  | { readonly kind: "output"; readonly line: string }
  | { readonly kind: "reconnecting"; readonly attempt: number; readonly why: string };

/** When to give up on a stream and how often to try again. */
export interface ReconnectPolicy {
  /** No byte (not even a heartbeat) for this long means the stream is dead (default 45 s: 3 heartbeats). */
  readonly idleMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Failed reconnections in a row before giving up (exit 3). */
  readonly maxAttempts: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  idleMs: 45_000,
  initialDelayMs: 500,
  maxDelayMs: 5000,
  maxAttempts: 12,
};

/** Following stopped because the user asked (Ctrl-C); the run itself goes on. */
export class FollowInterrupted extends Error {
  constructor() {
    super("stopped following");
    this.name = "FollowInterrupted";
  }
}

export interface FollowOptions {
  readonly client: ApiClient;
  readonly runId: string;
  /** The states that end the wait. */
  readonly until: (status: RunState) => boolean;
  readonly onEvent: (event: FollowEvent) => void;
  readonly signal: AbortSignal;
  readonly reconnect?: Partial<ReconnectPolicy>;
}

/** How many clean stream ends on a settled run the caller does not wait for, before returning it anyway. */
const SETTLED_ENDS = 5;

/** Resolves to the run once its record is in a state `until` accepts. */
export async function followRun(options: FollowOptions): Promise<RunView> {
  let shownStatus: RunState | undefined;
  const finish = (run: RunView) => {
    // The record can settle a moment before its last state event reaches the stream, which the
    // server may close first: the state the run ended in is always the last line shown.
    if (shownStatus !== run.status) {
      options.onEvent({ kind: "state", status: run.status, ...(run.reason ? { reason: run.reason } : {}) });
    }
    return run;
  };
  const report = options.onEvent;
  options = {
    ...options,
    onEvent: (event) => {
      if (event.kind === "state") shownStatus = event.status;
      report(event);
    },
  };
  const policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
  const { client, runId, signal } = options;
  const cursor: { lastId?: string } = {};
  let failures = 0;
  let settledEnds = 0;
  for (;;) {
    let dropped: unknown;
    try {
      await readStream(options, policy.idleMs, cursor);
    } catch (error) {
      if (signal.aborted) throw new FollowInterrupted();
      if (!isTransient(error)) throw error;
      dropped = error;
    }
    let run: RunView | undefined;
    try {
      run = await client.getRun(runId);
    } catch (error) {
      if (!isTransient(error)) throw error;
      dropped ??= error;
    }
    if (run && options.until(run.status)) return finish(run);
    if (dropped === undefined) {
      failures = 0;
      // The server closed the stream because the run settled in a state we do not wait for.
      if (run && SETTLED.includes(run.status) && ++settledEnds >= SETTLED_ENDS) return finish(run);
    } else if (++failures > policy.maxAttempts) {
      throw new CliError(
        EXIT.unreachable,
        `lost the Run API at ${client.target.url} (${describe(dropped)}); the run goes on: reporunner follow ${runId}`,
      );
    } else {
      options.onEvent({ kind: "reconnecting", attempt: failures, why: describe(dropped) });
    }
    const delay = Math.min(policy.initialDelayMs * 2 ** Math.max(0, failures - 1), policy.maxDelayMs);
    await sleep(delay, signal);
    if (signal.aborted) throw new FollowInterrupted();
  }
}

/** Reads one connection of the stream to its end, reporting events and remembering the last id. */
async function readStream(
  options: FollowOptions,
  idleMs: number,
  cursor: { lastId?: string },
): Promise<void> {
  const connection = new AbortController();
  const stop = () => connection.abort(options.signal.reason);
  options.signal.addEventListener("abort", stop, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => connection.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
  };
  try {
    armIdle();
    const res = await options.client.openEvents(options.runId, cursor.lastId, connection.signal);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      armIdle();
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.id) cursor.lastId = event.id;
        const shown = toFollowEvent(event.type, event.data);
        if (shown) options.onEvent(shown);
      }
    }
  } catch (error) {
    // An abort by the idle timer surfaces as an AbortError: report why the stream was dropped.
    throw connection.signal.aborted && !options.signal.aborted ? connection.signal.reason : error;
  } finally {
    clearTimeout(idle);
    options.signal.removeEventListener("abort", stop);
  }
}

function toFollowEvent(type: string, data: string): FollowEvent | undefined {
  let parsed: { status?: RunState; reason?: string; line?: string };
  try {
    parsed = JSON.parse(data) as typeof parsed;
  } catch {
    return undefined;
  }
  if (type === "state" && parsed.status) {
    return { kind: "state", status: parsed.status, ...(parsed.reason ? { reason: parsed.reason } : {}) };
  }
  if (type === "output" && typeof parsed.line === "string") return { kind: "output", line: parsed.line };
  return undefined;
}

/** Network trouble and 5xx are worth another try; a refusal (404, 401, 4xx) is not. */
function isTransient(error: unknown): boolean {
  return !(error instanceof CliError) || error.exitCode === EXIT.unreachable;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
