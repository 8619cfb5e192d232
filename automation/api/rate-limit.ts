/**
 * Per-token rate limit (express-rate-limit) counted in Redis, so that every API instance shares one
 * budget. A request costs no round trip: each process counts its own hits at once and adds them to
 * Redis in one INCRBY per key every `flushMs` (default 50 ms), learning the other processes' hits
 * from the reply, so the shared budget can be overrun by what the others took in the last flush
 * interval. While Redis is away each process still counts its own hits: an outage of the counter
 * does not lift the limit, and does not turn into an outage of reads that MongoDB alone can serve.
 */
import type { RequestHandler } from "express";
import { rateLimit, type Store, type IncrementResponse } from "express-rate-limit";
import type Redis from "ioredis";
import type { Logger as PinoLogger } from "pino";
import { AppError, sendError } from "./errors";

/** One key's fixed window as this process knows it. */
interface Window {
  /** When the window ends (Redis's PTTL once a flush has read it). */
  resetAt: number;
  /** Every process's hits as of the last flush (this process's flushed ones included). */
  shared: number;
  /** This process's hits not yet added to Redis. */
  unflushed: number;
}

/** A fixed-window counter in Redis, counted here first (see above). */
export class RedisRateStore implements Store {
  readonly prefix = "ratelimit:";
  private windowMs = 60_000;
  private readonly windows = new Map<string, Window>();
  private flushing: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly flushMs = 50,
    private readonly now: () => number = Date.now,
  ) {}

  init(options: { windowMs: number }): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const window = this.window(key);
    window.unflushed++;
    this.flushingSoon();
    return { totalHits: window.shared + window.unflushed, resetTime: new Date(window.resetAt) };
  }

  async decrement(key: string): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.unflushed > 0) {
      window.unflushed--;
      return;
    }
    if (window) window.shared = Math.max(0, window.shared - 1);
    await this.redis.decr(this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    this.windows.delete(key);
    await this.redis.del(this.prefix + key);
  }

  /** Adds every key's unflushed hits to Redis and reads back the totals (exposed for tests). */
  async flush(): Promise<void> {
    this.flushing = undefined;
    const batch = [...this.windows]
      .filter(([, w]) => w.unflushed > 0)
      .map(([key, w]) => ({ key, w, n: w.unflushed }));
    if (batch.length === 0) return;
    const multi = this.redis.multi();
    for (const { key, n } of batch) multi.incrby(this.prefix + key, n).pttl(this.prefix + key);
    let reply: [Error | null, unknown][] | null;
    try {
      reply = await multi.exec();
    } catch {
      return; // Redis is away: keep counting here, and try again with the next hit
    }
    const at = this.now();
    const expire = this.redis.pipeline();
    batch.forEach(({ key, w, n }, i) => {
      w.unflushed -= n;
      w.shared = Number(reply?.[2 * i]?.[1] ?? w.shared + n);
      const ttl = Number(reply?.[2 * i + 1]?.[1] ?? -1);
      if (ttl < 0) expire.pexpire(this.prefix + key, Math.max(1, w.resetAt - at));
      else w.resetAt = at + ttl;
    });
    if (expire.length > 0) await expire.exec().catch(() => undefined);
  }

  private window(key: string): Window {
    const at = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= at) {
      window = { resetAt: at + this.windowMs, shared: 0, unflushed: 0 };
      this.windows.set(key, window);
      // Forget the windows that ended, so tokens that stopped calling take no memory.
      for (const [k, w] of this.windows) if (w.resetAt <= at && w.unflushed === 0) this.windows.delete(k);
    }
    return window;
  }

  private flushingSoon(): void {
    if (this.flushing) return;
    this.flushing = setTimeout(() => void this.flush(), this.flushMs);
    this.flushing.unref();
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
