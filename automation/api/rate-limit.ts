/**
 * Per-token rate limit (express-rate-limit) counted in Redis, so that every API instance shares one
 * budget. While Redis is away requests pass uncounted: the limiter must not turn an outage of the
 * counter into an outage of reads that MongoDB alone can serve.
 */
import type { RequestHandler } from "express";
import { rateLimit, type Store, type IncrementResponse } from "express-rate-limit";
import type Redis from "ioredis";
import type { Logger as PinoLogger } from "pino";
import { AppError, sendError } from "./errors";

/** A fixed-window counter in Redis: INCR plus PEXPIRE on the first hit of a window. */
export class RedisRateStore implements Store {
  readonly prefix = "ratelimit:";
  private windowMs = 60_000;

  constructor(private readonly redis: Redis) {}

  init(options: { windowMs: number }): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const k = this.prefix + key;
    const reply = await this.redis.multi().incr(k).pttl(k).exec();
    const hits = Number(reply?.[0]?.[1] ?? 1);
    let ttl = Number(reply?.[1]?.[1] ?? -1);
    if (ttl < 0) {
      await this.redis.pexpire(k, this.windowMs);
      ttl = this.windowMs;
    }
    return { totalHits: hits, resetTime: new Date(Date.now() + ttl) };
  }

  async decrement(key: string): Promise<void> {
    await this.redis.decr(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}

/** The limiter; mount it after `authenticate` (it keys on the token's digest). */
export function rateLimitPerToken(redis: Redis, perMinute: number, logger: PinoLogger): RequestHandler {
  const log = (level: "warn" | "error") => (error: unknown, message?: string) =>
    logger[level]({ err: error instanceof Error ? error.message : String(error) }, message ?? "rate limiter");
  return rateLimit({
    // Through pino, never the console; a store error during a Redis outage is a warning.
    logger: { error: log("warn"), warn: log("warn") },
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    store: new RedisRateStore(redis),
    passOnStoreError: true,
    keyGenerator: (_req, res) => String(res.locals.tokenId),
    handler: (_req, res, _next, options) => {
      res.setHeader("Retry-After", String(Math.ceil(options.windowMs / 1000)));
      sendError(res, new AppError("rate_limited", "too many requests for this token", 429, "authorization"));
    },
    // The key is a token digest, not an IP: the IP-specific checks do not apply.
    validate: { keyGeneratorIpFallback: false, ip: false },
  });
}
