/**
 * A Redis lock with an owner token and an expiry, so that one instance at a time sweeps and a crashed
 * holder's lock frees itself.
 */
import { randomUUID } from "node:crypto";
import type Redis from "ioredis";

// Only the holder may extend or release: compare the token first (atomically, in Lua).
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock. */
export interface Lock {
  /** Extends the lock; false when it was lost (expired and taken by another holder). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Takes `locks:<name>` for `ttlMs` if nobody holds it; undefined when somebody does. */
export async function tryLock(redis: Redis, name: string, ttlMs: number): Promise<Lock | undefined> {
  const key = `locks:${name}`;
  const token = randomUUID();
  const ok = await redis.set(key, token, "PX", ttlMs, "NX");
  if (ok !== "OK") return undefined;
  return {
    renew: async () => (await redis.eval(RENEW, 1, key, token, String(ttlMs))) === 1,
    release: async () => {
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown when a lock stays taken for longer than the caller waits. */
export class LockBusyError extends Error {
  constructor(name: string) {
    super(`lock ${name} is busy`);
    this.name = "LockBusyError";
  }
}

/**
 * Runs `fn` holding `locks:<name>`, waiting up to `waitMs` for it. The lock's TTL bounds how long a
 * crashed holder blocks others.
 */
export async function withLock<T>(
  redis: Redis,
  name: string,
  fn: () => Promise<T>,
  options: { ttlMs?: number; waitMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.waitMs ?? 5000);
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    const lock = await tryLock(redis, name, options.ttlMs ?? 10_000);
    if (lock) {
      try {
        return await fn();
      } finally {
        await lock.release().catch(() => undefined);
      }
    }
    if (Date.now() > deadline) throw new LockBusyError(name);
    await sleep(wait);
  }
}
