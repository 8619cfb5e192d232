/**
 * A RunEngine for the service's own tests: walks through the phases with delays, honours the abort
 * signal, and returns a plausible result. Behaviour per run is steered through `script`.
 */
import {
  EngineFailure,
  type DeployPhase,
  type DeployRequest,
  type DeployResult,
  type EngineListener,
  type RunEngine,
} from "../../automation/engine/run-engine";

/** How the fake behaves for a run (default: succeed after `phaseMs` per phase). */
export interface FakeScript {
  /** Fail in this phase with this reason. */
  failIn?: { phase: DeployPhase; reason: string; kind?: EngineFailure["kind"] };
  /** Milliseconds each phase takes. */
  phaseMs?: number;
  /** Throw a plain Error (an unexpected failure, whose text must not reach clients). */
  crash?: string;
}

/** The fake; inspect its calls in assertions. */
export class FakeEngine implements RunEngine {
  readonly stacks = new Set<string>();
  readonly calls: { op: string; runId?: string; previewPort?: number }[] = [];
  readonly scripts = new Map<string, FakeScript>();
  /** Script used when none is set for the run. */
  defaultScript: FakeScript = {};
  healthy = true;
  commit = "0123456789abcdef0123456789abcdef01234567";

  constructor(
    private readonly phaseMs = 50,
    /** How long a destroy takes (default: a phase). */
    private readonly destroyMs = phaseMs,
  ) {}

  async deploy(
    request: DeployRequest,
    listener: EngineListener,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    this.calls.push({
      op: "deploy",
      runId: request.runId,
      ...(request.previewPort !== undefined ? { previewPort: request.previewPort } : {}),
    });
    const script = this.scripts.get(request.runId) ?? this.defaultScript;
    const ms = script.phaseMs ?? this.phaseMs;
    for (const phase of ["CLONING", "BUILDING", "DEPLOYING"] as const) {
      listener.phase(phase);
      listener.output(`${phase.toLowerCase()} ${request.runId}`);
      if (phase === "DEPLOYING") this.stacks.add(request.runId);
      await this.sleep(ms, signal);
      if (script.failIn?.phase === phase)
        throw new EngineFailure(script.failIn.reason, script.failIn.kind ?? "build");
      if (script.crash && phase === "BUILDING") throw new Error(script.crash);
    }
    return {
      commitSha: this.commit,
      namespace: `run-${request.runId}`,
      previewUrls: { app: `http://localhost:30080/run-${request.runId}/` },
      // What compose `ports: ["3000:3000"]` gives: the Service `app`, on the published port.
      previewTargets: { app: { service: "app", port: 3000 } },
      images: { app: `localhost:5001/run-${request.runId}-app:${this.commit.slice(0, 12)}` },
      warnings: [],
    };
  }

  async destroy(runId: string, listener: EngineListener, signal?: AbortSignal): Promise<void> {
    this.calls.push({ op: "destroy", runId });
    listener.output(`destroying run-${runId}`);
    await this.sleep(this.destroyMs, signal);
    this.stacks.delete(runId);
  }

  async cancel(runId: string): Promise<void> {
    this.calls.push({ op: "cancel", runId });
  }

  async listRunStacks(): Promise<string[]> {
    return [...this.stacks];
  }

  async ping(): Promise<void> {
    if (!this.healthy) throw new Error("engine down");
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new EngineFailure("the update was cancelled", "cancelled"));
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(new EngineFailure("the update was cancelled", "cancelled"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** For `REPORUNNER_ENGINE_MODULE`: lets a worker process (the crash test) run the fake. */
export function createRunEngine(): RunEngine {
  const phaseMs = Number(process.env.FAKE_ENGINE_PHASE_MS ?? 50);
  return new FakeEngine(phaseMs, Number(process.env.FAKE_ENGINE_DESTROY_MS ?? phaseMs));
}
