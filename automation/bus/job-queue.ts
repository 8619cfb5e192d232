/**
 * The job queue: Redis stream `runs:jobs`, read by the consumer group `workers`. A job stays in the
 * group's pending list until its holder acknowledges it; the holder refreshes its claim while it
 * works, so a job whose holder died goes idle and another worker claims it (XAUTOCLAIM).
 */
import type Redis from "ioredis";
import { redisCall } from "../dependencies";
import type { JobAction } from "../runs/run";

/** The stream and group names are shared with any other process that reads the queue. */
export const JOBS_STREAM = "runs:jobs";
export const JOBS_GROUP = "workers";

/** One job as a worker receives it. */
export interface Job {
  /** The stream entry id, used to acknowledge or refresh the claim. */
  readonly entryId: string;
  readonly runId: string;
  readonly action: JobAction;
  /** Whether it came from a crashed or stopped holder rather than straight from the queue. */
  readonly reclaimed: boolean;
}

type Entry = [id: string, fields: string[]];

function toJob([entryId, fields]: Entry, reclaimed: boolean): Job | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const runId = map.get("runId");
  const action = map.get("action");
  if (!runId || (action !== "deploy" && action !== "destroy")) return undefined;
  return { entryId, runId, action, reclaimed };
}

/** Producer and consumer side of `runs:jobs`. */
export class JobQueue {
  /** `redis` serves short commands; blocking reads take a connection of their own (`read`'s `conn`). */
  constructor(private readonly redis: Redis) {}

  /** Creates the consumer group (and the stream) if missing. */
  async ensureGroup(conn: Redis = this.redis): Promise<void> {
    try {
      await conn.xgroup("CREATE", JOBS_STREAM, JOBS_GROUP, "0", "MKSTREAM");
    } catch (err) {
      if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
    }
  }

  /** Appends a job; resolves to its entry id. */
  async enqueue(runId: string, action: JobAction): Promise<string> {
    const id = await redisCall(() => this.redis.xadd(JOBS_STREAM, "*", "runId", runId, "action", action));
    return id!;
  }

  /** Waits up to `blockMs` for a new job for `consumer`; recreates the group if Redis lost it. */
  async read(conn: Redis, consumer: string, blockMs: number): Promise<Job | undefined> {
    const read = () =>
      conn.xreadgroup(
        "GROUP",
        JOBS_GROUP,
        consumer,
        "COUNT",
        1,
        "BLOCK",
        blockMs,
        "STREAMS",
        JOBS_STREAM,
        ">",
      );
    let reply: unknown;
    try {
      reply = await read();
    } catch (err) {
      if (!String((err as Error).message).includes("NOGROUP")) throw err;
      await this.ensureGroup(conn);
      reply = await read();
    }
    const entries = (reply as [string, Entry[]][] | null)?.[0]?.[1] ?? [];
    return this.firstValid(entries, false);
  }

  /** Claims one job whose holder has not refreshed it for `minIdleMs` (a crashed or stopped worker). */
  async claimStale(conn: Redis, consumer: string, minIdleMs: number): Promise<Job | undefined> {
    let reply: unknown;
    try {
      reply = await conn.xautoclaim(JOBS_STREAM, JOBS_GROUP, consumer, minIdleMs, "0-0", "COUNT", 1);
    } catch (err) {
      if (String((err as Error).message).includes("NOGROUP")) return undefined;
      throw err;
    }
    const entries = ((reply as [string, Entry[]])[1] ?? []).filter((e) => e && e[1]);
    return this.firstValid(entries, true);
  }

  private async firstValid(entries: Entry[], reclaimed: boolean): Promise<Job | undefined> {
    for (const entry of entries) {
      const job = toJob(entry, reclaimed);
      if (job) return job;
      // A malformed entry would be delivered forever: drop it.
      await this.ack(entry[0]);
    }
    return undefined;
  }

  /** Refreshes `consumer`'s claim so that the job does not look abandoned while it works. */
  async touch(consumer: string, entryId: string): Promise<void> {
    await this.redis.xclaim(JOBS_STREAM, JOBS_GROUP, consumer, 0, entryId, "JUSTID");
  }

  /** Hands a job back (shutdown): marks it idle for `idleMs` so the next worker claims it at once. */
  async handBack(consumer: string, entryId: string, idleMs: number): Promise<void> {
    await this.redis.xclaim(JOBS_STREAM, JOBS_GROUP, consumer, 0, entryId, "IDLE", idleMs, "JUSTID");
  }

  /** Gives a job to another consumer (its live holder), resetting its idle time. */
  async giveTo(consumer: string, entryId: string): Promise<void> {
    await this.redis.xclaim(JOBS_STREAM, JOBS_GROUP, consumer, 0, entryId, "JUSTID");
  }

  /** Acknowledges and deletes a finished job. */
  async ack(entryId: string): Promise<void> {
    await this.redis.multi().xack(JOBS_STREAM, JOBS_GROUP, entryId).xdel(JOBS_STREAM, entryId).exec();
  }
}
