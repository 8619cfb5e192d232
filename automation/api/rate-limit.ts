/**
 * Per-token rate limit counted in Redis, so that every API instance shares one budget. A request
 * costs no round trip: each process counts its own hits at once and adds them to Redis in one INCRBY
 * per key every `flushMs` (default 50 ms), learning the other processes' hits from the reply, so the
 * shared budget can be overrun by what the others took in the last flush interval. While Redis is
 * away each process still counts its own hits: an outage of the counter does not lift the limit, and
 * does not turn into an outage of reads that MongoDB alone can serve.
 *
 * The middleware is synchronous, with the IETF draft-8 `RateLimit` and `RateLimit-Policy` headers
 * express-rate-limit wrote before: that library's awaits, hash and checks on every request cost the
 * read path more than the counting itself.
 */
import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import type Redis from "ioredis";
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

/** A key's count as of this hit: every process's hits in the window, and when the window ends (ms). */
export interface Hits {
  readonly totalHits: number;
  readonly resetAt: number;
}

/** A fixed-window counter in Redis, counted here first (see above). */
export class RedisRateStore {
  readonly prefix = "ratelimit:";
  private readonly windows = new Map<string, Window>();
  private flushing: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly windowMs = 60_000,
    private readonly flushMs = 50,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit of `key` in this process; Redis hears of it at the next flush. */
  increment(key: string): Hits {
    const window = this.window(key);
    window.unflushed++;
    this.flushingSoon();
    return { totalHits: window.shared + window.unflushed, resetAt: window.resetAt };
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

/**
 * The limiter, `perMinute` requests per token; mount it after `authenticate` (it keys on the token's
 * digest). Over the limit: 429 with Retry-After.
 */
export function rateLimitPerToken(redis: Redis, perMinute: number): RequestHandler {
  const windowMs = 60_000;
  const store = new RedisRateStore(redis, windowMs);
  const name = `"${perMinute}-in-1min"`;
  // The policy's partition key names the token without revealing it (as express-rate-limit did).
  const policies = new Map<string, string>();
  const policyOf = (key: string) => {
    let policy = policies.get(key);
    if (policy === undefined) {
      const pk = Buffer.from(createHash("sha256").update(key).digest("hex").slice(0, 12)).toString("base64");
      policy = `${name}; q=${perMinute}; w=${windowMs / 1000}; pk=:${pk}:`;
      if (policies.size >= 10_000) policies.clear();
      policies.set(key, policy);
    }
    return policy;
  };
  return (_req, res, next) => {
    const key = String(res.locals.tokenId);
    const { totalHits, resetAt } = store.increment(key);
    const resetSeconds = Math.max(0, Math.ceil((resetAt - Date.now()) / 1000));
    res.setHeader("RateLimit", `${name}; r=${Math.max(perMinute - totalHits, 0)}; t=${resetSeconds}`);
    res.setHeader("RateLimit-Policy", policyOf(key));
    if (totalHits <= perMinute) {
      next();
      return;
    }
    res.setHeader("Retry-After", String(windowMs / 1000));
    sendError(res, new AppError("rate_limited", "too many requests for this token", 429, "authorization"));
  };
}
