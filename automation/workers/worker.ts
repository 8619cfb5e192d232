/**
 * Worker loops: each reads `runs:jobs` through the consumer group as its own consumer, first claiming
 * any job whose holder stopped refreshing it, then waiting for a new one. Stopping hands unfinished
 * jobs back after a grace period instead of abandoning them to the visibility timeout.
 */
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import type { Logger } from "pino";
import type { EventLog } from "../bus/event-log";
import { JOBS_GROUP, JOBS_STREAM, type JobQueue } from "../bus/job-queue";
import { closeRedis, connectRedis } from "../bus/redis";
import type { RunEngine } from "../engine/run-engine";
import type { RunStore } from "../runs/store";
import { runJob } from "./run-job";

/** What the workers need. */
export interface WorkerDeps {
  readonly redis: Redis;
  readonly store: RunStore;
  readonly queue: JobQueue;
  readonly events: EventLog;
  readonly engine: RunEngine;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly visibilityTimeoutMs: number;
  readonly maxAttempts: number;
  readonly shutdownGraceMs: number;
  /** How long one blocking read waits; also bounds how long `stop()` waits for an idle loop. */
  readonly blockMs?: number;
  /** How often a running job polls its record for a cancel or delete. */
  readonly pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pool of worker loops in this process. */
export class Workers {
  private stopping = false;
  private readonly shutdown = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly connections: Redis[] = [];
  /** The consumer-name prefix of this process: host, pid and a random suffix, unique per start. */
  readonly name = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  private busy = 0;

  constructor(private readonly deps: WorkerDeps) {}

  /** Starts `concurrency` loops. */
  start(): void {
    // Every job in flight listens on the one shutdown signal: allow one listener per loop, plus a few.
    setMaxListeners(this.deps.concurrency + 10, this.shutdown.signal);
    for (let i = 0; i < this.deps.concurrency; i++) this.loops.push(this.loop(`${this.name}-${i}`));
    this.deps.logger.info({ workers: this.deps.concurrency, name: this.name }, "workers started");
  }

  /** Jobs being worked on right now. */
  get inFlight(): number {
    return this.busy;
  }

  /**
   * Stops taking jobs, waits up to the grace period for the jobs in hand, then aborts the rest and
   * hands them back to the queue for another worker.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const all = Promise.allSettled(this.loops);
    const grace = new Promise((r) => setTimeout(r, this.deps.shutdownGraceMs).unref());
    await Promise.race([all, grace]);
    this.shutdown.abort();
    await all;
    for (const conn of this.connections) closeRedis(conn);
    this.deps.logger.info({ name: this.name }, "workers stopped");
  }

  private async loop(consumer: string): Promise<void> {
    const { queue, logger } = this.deps;
    const conn = this.deps.redis.duplicate();
    this.connections.push(conn);
    await connectRedis(conn);
    let failing = false;
    while (!this.stopping) {
      try {
        await queue.ensureGroup(conn);
        const job =
          (await queue.claimStale(conn, consumer, this.deps.visibilityTimeoutMs)) ??
          (await queue.read(conn, consumer, this.deps.blockMs ?? 2000));
        failing = false;
        if (!job) continue;
        if (this.stopping) {
          await queue.handBack(consumer, job.entryId, this.deps.visibilityTimeoutMs + 1000);
          break;
        }
        this.busy++;
        try {
          const outcome = await runJob(job, {
            store: this.deps.store,
            queue,
            events: this.deps.events,
            engine: this.deps.engine,
            logger,
            consumer,
            visibilityTimeoutMs: this.deps.visibilityTimeoutMs,
            maxAttempts: this.deps.maxAttempts,
            shutdown: this.shutdown.signal,
            pollMs: this.deps.pollMs,
          });
          if (outcome === "done" || outcome === "skipped") await queue.ack(job.entryId);
          logger.debug({ runId: job.runId, outcome, consumer }, "job finished");
        } finally {
          this.busy--;
        }
      } catch (err) {
        // Redis or MongoDB away: the job (if any) stays pending and is retried; back off meanwhile.
        if (!failing) logger.warn({ consumer, err: (err as Error).message }, "worker loop error; retrying");
        failing = true;
        await sleep(1000);
      }
    }
    // Forget this consumer if it holds nothing, so the group does not collect dead names.
    try {
      const pending = (await conn.xpending(JOBS_STREAM, JOBS_GROUP, "-", "+", 1, consumer)) as unknown[];
      if (pending.length === 0) await conn.xgroup("DELCONSUMER", JOBS_STREAM, JOBS_GROUP, consumer);
    } catch {
      // best effort
    }
  }
}
