/**
 * One process at a time forwards local previews: two API servers on one machine would otherwise
 * each bind the runs' ports (one falling back to others) and overwrite each other's `localUrls`.
 */
import type Redis from "ioredis";
import { tryLock, type Lock } from "../bus/locks";

/** Lock name shared by every API server. */
export const LOCAL_PREVIEWS_LOCK = "local-previews";

/** Whether this process may own the local preview ports; asked at the start of every pass. */
export interface PortOwnership {
  /** Takes or keeps ownership; false while another process has it. Throws when it cannot tell. */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Ownership as a Redis lock (`locks:local-previews`) renewed on every pass; it lapses on its own
 * `ttlMs` after its holder dies, and another server takes over.
 */
export function redisPortOwnership(redis: Redis, ttlMs: number): PortOwnership {
  let lock: Lock | undefined;
  return {
    async hold() {
      if (lock && (await lock.renew())) return true;
      lock = await tryLock(redis, LOCAL_PREVIEWS_LOCK, ttlMs);
      return lock !== undefined;
    },
    async release() {
      const held = lock;
      lock = undefined;
      await held?.release();
    },
  };
}

/** For a process that is alone by construction (tests). */
export const soleOwnership: PortOwnership = {
  hold: async () => true,
  release: async () => undefined,
};
