/**
 * The orphan sweeper: a stack whose run has no live record (none at all, or one already DESTROYED or
 * EXPIRED) is destroyed. A stack whose record is live, or held by a worker, is never touched.
 */
import type { Logger } from "pino";
import type { RunEngine } from "../engine/run-engine";
import { RUN_ID } from "../runs/ids";
import { FINAL } from "../runs/states";
import type { RunStore } from "../runs/store";

/** What the sweeper needs. */
export interface SweeperDeps {
  readonly store: RunStore;
  readonly engine: RunEngine;
  readonly logger: Logger;
  /** Called between destroys; false stops the pass (the sweep lock was lost). */
  readonly stillHolding?: () => Promise<boolean>;
}

/** One pass; resolves to the run ids whose stacks it destroyed. */
export async function sweepOrphans(deps: SweeperDeps): Promise<string[]> {
  const ids = (await deps.engine.listRunStacks()).filter((id) => RUN_ID.test(id));
  const records = new Map((await deps.store.findByIds(ids)).map((r) => [r._id, r]));
  const destroyed: string[] = [];
  for (const id of ids) {
    const record = records.get(id);
    if (record && (!FINAL.includes(record.status) || record.holder !== null)) continue;
    if (deps.stillHolding && !(await deps.stillHolding())) break;
    // Re-read: a record may have appeared since the listing (a run id is never reused, but be sure).
    const now = await deps.store.get(id);
    if (now && (!FINAL.includes(now.status) || now.holder !== null)) continue;
    const log = deps.logger.child({ runId: id });
    try {
      await deps.engine.destroy(id, {
        phase: () => undefined,
        output: (line) => log.debug({ line }, "engine output"),
      });
      destroyed.push(id);
      log.info({ hadRecord: Boolean(now) }, "destroyed an orphaned stack");
    } catch (err) {
      log.warn({ err: (err as Error).message }, "could not destroy an orphaned stack; will retry next pass");
    }
  }
  return destroyed;
}
