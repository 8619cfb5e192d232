/**
 * Wires the service's parts from a configuration: MongoDB store, Redis queue and event log, the run
 * service, and (on request) worker loops and the maintenance timer. `server.ts` and
 * `worker-main.ts` share it; tests use it with a fake engine.
 */
import type Redis from "ioredis";
import { MongoClient } from "mongodb";
import type { Logger } from "pino";
import type { Config } from "./config";
import { EventLog } from "./bus/event-log";
import { JobQueue } from "./bus/job-queue";
import { closeRedis, connectRedis, createRedis } from "./bus/redis";
import { redisCall } from "./dependencies";
import type { RunEngine } from "./engine/run-engine";
import { RunService } from "./runs/service";
import { EnvSealer, loadEnvKey } from "./runs/env-seal";
import { RunStore, type RecordLock } from "./runs/store";
import { withLock } from "./bus/locks";
import { cachingResolver } from "./runs/dns-cache";
import type { Resolver } from "./runs/url-policy";
import { startMaintenance } from "./workers/maintenance";
import { Workers } from "./workers/worker";

/** The connected parts. */
export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly engine: RunEngine;
  readonly mongo: MongoClient;
  readonly redis: Redis;
  readonly store: RunStore;
  readonly queue: JobQueue;
  readonly events: EventLog;
  readonly service: RunService;
  /** Resolves once the store's collections and indexes exist (retried while MongoDB is down). */
  readonly initialised: Promise<void>;
  /** Starts `config.workers` loops (or `count`) and the maintenance timer; returns their stopper. */
  startWorkers(count?: number, options?: { pollMs?: number; blockMs?: number }): () => Promise<void>;
  /** Closes every connection (call after stopping the workers). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects (in the background where a dependency is down) and wires the parts. */
export async function createRuntime(
  config: Config,
  logger: Logger,
  engine: RunEngine,
  options: { resolver?: Resolver } = {},
): Promise<Runtime> {
  // First, before anything connects: a missing or wrong key stops the start-up with its reason.
  const sealer = new EnvSealer(loadEnvKey(config.envKey));
  const mongo = new MongoClient(config.mongodbUrl, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    appName: "reporunner",
  });
  const redis = createRedis(config.redisUrl, logger, "main");
  await connectRedis(redis);
  await mongo.connect().catch((err: Error) => logger.warn({ err: err.message }, "MongoDB not reachable yet"));

  const recordLock: RecordLock = (id, fn) =>
    redisCall(() => withLock(redis, `run:${id}`, fn, { ttlMs: 10_000, waitMs: 5000 }));
  const store = new RunStore(mongo.db(), logger, undefined, recordLock, sealer);
  const queue = new JobQueue(redis);
  const events = new EventLog(redis, config.eventsMaxLen);
  const service = new RunService({
    store,
    queue,
    events,
    queueReady: async () => {
      await redisCall(() => redis.ping());
    },
    logger,
    urlPolicy: config.urlPolicy,
    // Each POST checks its host's addresses: keep DNS answers for their TTL rather than ask every time.
    resolver: options.resolver ?? cachingResolver(),
    defaultTtlSeconds: config.defaultTtlSeconds,
    maxTtlSeconds: config.maxTtlSeconds,
  });

  let closing = false;
  const initialised = (async () => {
    for (let wait = 500; !closing; wait = Math.min(wait * 2, 5000)) {
      try {
        await store.init();
        if (!store.serverValidation) logger.info("run records are validated by the service only");
        return;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, "could not initialise the run store; retrying");
        await sleep(wait);
      }
    }
  })();

  const stoppers: (() => Promise<void>)[] = [];
  return {
    config,
    logger,
    engine,
    mongo,
    redis,
    store,
    queue,
    events,
    service,
    initialised,
    startWorkers(count = config.workers, opts = {}) {
      const parts: (() => Promise<void>)[] = [];
      if (count > 0) {
        const workers = new Workers({
          redis,
          store,
          queue,
          events,
          engine,
          logger,
          concurrency: count,
          visibilityTimeoutMs: config.visibilityTimeoutMs,
          maxAttempts: config.maxAttempts,
          shutdownGraceMs: config.shutdownGraceMs,
          pollMs: opts.pollMs,
          blockMs: opts.blockMs,
        });
        workers.start();
        parts.push(() => workers.stop());
      }
      if (config.sweepIntervalMs > 0) {
        parts.push(
          startMaintenance({
            redis,
            store,
            queue,
            events,
            engine,
            logger,
            intervalMs: config.sweepIntervalMs,
          }),
        );
      }
      const stop = async () => {
        await Promise.all(parts.map((p) => p()));
      };
      stoppers.push(stop);
      return stop;
    },
    async close() {
      closing = true;
      await Promise.all(stoppers.map((s) => s()));
      await engine.close?.();
      closeRedis(redis);
      await mongo.close(true).catch(() => undefined);
    },
  };
}
