/**
 * The run store in memory, for the workers' unit tests: the part of `RunStore` a job uses, deciding
 * each status change with the store's own check (`planTransition`), so a wrong lifecycle table
 * refuses here exactly as it would in MongoDB. Records are copied in and out, as a database would.
 */
import type { RunRecord } from "../../automation/runs/run";
import type { RunPatch, StoredRun, TransitionOptions, TransitionResult } from "../../automation/runs/store";
import type { RunState } from "../../automation/runs/states";
import { planTransition } from "../../automation/runs/transition-plan";
import type { JobStore } from "../../automation/workers/run-job";

/** Sets a MongoDB field path (`phases.CLONING.endedAt`) on a plain object. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]!] = value;
}

export class MemoryRunStore implements JobStore {
  private readonly runs = new Map<string, StoredRun>();

  insert(run: RunRecord): StoredRun {
    const stored = { ...structuredClone(run), version: 1 };
    this.runs.set(run._id, stored);
    return structuredClone(stored);
  }

  async get(id: string): Promise<StoredRun | null> {
    const run = this.runs.get(id);
    return run ? structuredClone(run) : null;
  }

  async transition(id: string, to: RunState, options: TransitionOptions = {}): Promise<TransitionResult> {
    const run = this.runs.get(id);
    if (!run) return { ok: false, why: "not-found" };
    const plan = planTransition(structuredClone(run), to, options, new Date());
    if (!plan.ok) return plan;
    const record = run as unknown as Record<string, unknown>;
    for (const [path, value] of Object.entries(plan.set)) setPath(record, path, structuredClone(value));
    run.history.push(plan.entry);
    run.version++;
    return { ok: true, run: structuredClone(run) };
  }

  async patch(
    id: string,
    set: RunPatch,
    condition: { inStates?: readonly RunState[]; holder?: string | null } = {},
  ): Promise<StoredRun | null> {
    const run = this.runs.get(id);
    if (!run) return null;
    if (condition.inStates && !condition.inStates.includes(run.status)) return null;
    if (condition.holder !== undefined && run.holder !== condition.holder) return null;
    Object.assign(run, structuredClone(set), { updatedAt: new Date() });
    run.version++;
    return structuredClone(run);
  }

  /** Tests keep no environment values (sealing has its own tests). */
  openEnv(run: Pick<RunRecord, "_id" | "env">): Record<string, string> {
    if (Object.keys(run.env ?? {}).length) throw new Error("the memory store keeps no environment values");
    return {};
  }
}
