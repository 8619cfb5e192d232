/**
 * Redis connections. Commands fail at once while Redis is down (no offline queue), so a request gets
 * its 503 instead of hanging, while the client keeps reconnecting in the background.
 */
import Redis from "ioredis";
import type { Logger } from "pino";

/** Creates a client that does not connect until `connectRedis` is called (nothing connects at import). */
export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    connectionName: `reporunner-${name}`,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
  });
  let down = false;
  // Without a listener ioredis prints every failed reconnect; log the first of a series only.
  redis.on("error", (err) => {
    if (!down) logger.warn({ redis: name, err: err.message }, "redis connection lost; reconnecting");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info({ redis: name }, "redis connection restored");
    down = false;
  });
  return redis;
}

/** Starts connecting; a failure is logged and retried in the background, never thrown. */
export async function connectRedis(redis: Redis): Promise<void> {
  if (redis.status !== "wait") return;
  await redis.connect().catch(() => undefined);
}

/** Closes a client without waiting on a server that may be gone. */
export function closeRedis(redis: Redis): void {
  redis.disconnect(false);
}
