/**
 * Each run's event stream: Redis stream `runs:<id>:events`, capped, expiring a week after its last
 * event. Clients read it through SSE, replaying from any entry id.
 */
import type Redis from "ioredis";
import { redisCall } from "../dependencies";

/** What an event is about: a state change, or a line of the engine's output. */
export type EventType = "state" | "output";

/** One event as read back. */
export interface RunEvent {
  /** The stream entry id; SSE's event id, so `Last-Event-ID` replays from here. */
  readonly id: string;
  readonly type: EventType;
  /** JSON text. */
  readonly data: string;
}

/** A valid stream entry id (`<ms>-<seq>`). */
export const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

const EXPIRE_SECONDS = 7 * 86_400;

/** The key of a run's event stream. */
export function eventsKey(runId: string): string {
  return `runs:${runId}:events`;
}

/** Appends to and reads from run event streams. */
export class EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly maxLen: number,
  ) {}

  /** Appends an event; the stream keeps about `maxLen` of the newest. */
  async append(runId: string, type: EventType, data: unknown): Promise<void> {
    const key = eventsKey(runId);
    await redisCall(() =>
      this.redis
        .multi()
        .xadd(key, "MAXLEN", "~", this.maxLen, "*", "type", type, "data", JSON.stringify(data))
        .expire(key, EXPIRE_SECONDS)
        .exec(),
    );
  }

  /** Up to `count` events after `afterId` (exclusive), or from the start. */
  async readAfter(runId: string, afterId: string | undefined, count: number): Promise<RunEvent[]> {
    const start = afterId ? `(${afterId}` : "-";
    const entries = await redisCall(() => this.redis.xrange(eventsKey(runId), start, "+", "COUNT", count));
    return entries.map(([id, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return { id, type: (map.get("type") ?? "output") as EventType, data: map.get("data") ?? "null" };
    });
  }
}
