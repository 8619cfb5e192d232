/**
 * Runs the reaper and the orphan sweeper on a timer, in whichever process has them enabled, under a
 * Redis lock so that only one instance sweeps at a time.
 */
import type Redis from "ioredis";
import type { Logger } from "pino";
import { tryLock } from "../bus/locks";
import { reap, type ReaperDeps } from "./reaper";
import { sweepOrphans } from "./sweeper";
import type { RunEngine } from "../engine/run-engine";

/** What maintenance needs. */
export interface MaintenanceDeps extends ReaperDeps {
  readonly redis: Redis;
  readonly engine: RunEngine;
  readonly logger: Logger;
  readonly intervalMs: number;
}

/** Lock name shared by every instance. */
export const SWEEP_LOCK = "sweeper";

/** One pass under the lock: false when another instance holds it. */
export async function maintenancePass(deps: MaintenanceDeps): Promise<boolean> {
  // The lock outlives a slow destroy only while renewed; it lapses on its own if this process dies.
  const ttl = Math.max(30_000, deps.intervalMs * 2);
  const lock = await tryLock(deps.redis, SWEEP_LOCK, ttl);
  if (!lock) return false;
  try {
    await reap(deps);
    await sweepOrphans({ ...deps, stillHolding: () => lock.renew() });
  } finally {
    await lock.release().catch(() => undefined);
  }
  return true;
}

/** Starts the timer; the returned function stops it and waits for a pass in progress. */
export function startMaintenance(deps: MaintenanceDeps): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let failing = false;
  const timer = setInterval(() => {
    running = maintenancePass(deps)
      .then(() => {
        failing = false;
      })
      .catch((err: Error) => {
        if (!failing) deps.logger.warn({ err: err.message }, "maintenance pass failed; will retry");
        failing = true;
      });
  }, deps.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
