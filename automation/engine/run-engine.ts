/**
 * The contract between the run service and the Pulumi engine. The only implementation that talks to
 * Pulumi (`pulumi-run-engine.ts`) is the one module that imports `@pulumi/pulumi/automation`; the
 * service, the workers and their tests see only this interface.
 */

/** Phases a deploy goes through, in order; the service turns each into a run state. */
export type DeployPhase = "CLONING" | "BUILDING" | "DEPLOYING";

/** What a run asks the engine to deploy. */
export interface DeployRequest {
  /** `[a-z0-9]{8,12}`; the stack is `run-<id>`, the namespace `run-<id>`. */
  readonly runId: string;
  readonly repoUrl: string;
  /** Branch, tag or commit; unset: the remote's default branch. */
  readonly ref?: string;
  readonly mode: "auto" | "dockerfile" | "compose";
  /** The port a lone Dockerfile's app listens on, published as a preview when it EXPOSEs none. */
  readonly previewPort?: number;
  /** Extra environment for every workload of the run. */
  readonly env: Readonly<Record<string, string>>;
  /** A token for a private repository; never logged, never stored in plain text. */
  readonly token?: string;
}

/** What a deployed run exposes; stored on the run record. */
export interface DeployResult {
  readonly commitSha: string;
  readonly namespace: string;
  /** Preview → URL reachable from this machine; behind the gateway, the HTTP previews only. */
  readonly previewUrls: Readonly<Record<string, string>>;
  /**
   * Every preview, keyed like `previewUrls`: the Service in the run's namespace behind it and the
   * app's port on it, and `localPort`, the port the compose file published (what users of the app
   * expect on localhost).
   */
  readonly previewTargets: Readonly<
    Record<
      string,
      {
        readonly service: string;
        readonly port: number;
        readonly localPort?: number;
        readonly protocol?: "http" | "tcp";
      }
    >
  >;
  /** Service name → image reference that runs. */
  readonly images: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/** Where the engine reports progress while it works. */
export interface EngineListener {
  phase(phase: DeployPhase): void;
  /** One line of Pulumi's own output. */
  output(line: string): void;
}

/** A failure with a cause in plain words, fit to show a user (never the engine's raw output). */
export class EngineFailure extends Error {
  constructor(
    readonly reason: string,
    readonly kind:
      "build" | "deploy" | "source" | "quota" | "conflict" | "not-found" | "cancelled" | "engine",
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = "EngineFailure";
  }
}

export interface RunEngine {
  /** Clone, build, and bring the run's stack up; resolves when every workload is Ready. */
  deploy(request: DeployRequest, listener: EngineListener, signal?: AbortSignal): Promise<DeployResult>;
  /**
   * Destroy the run's stack and remove it; succeeds when there is nothing to destroy. `signal` stops
   * it (a worker shutting down hands the job back instead of waiting for a namespace to go).
   */
  destroy(runId: string, listener: EngineListener, signal?: AbortSignal): Promise<void>;
  /** Cancel an update in flight and clear a stale lock left by a crashed worker. */
  cancel(runId: string): Promise<void>;
  /** The run ids that have a stack, for the orphan sweeper. */
  listRunStacks(): Promise<string[]>;
  /** Throws when the engine cannot be used (readiness). */
  ping(): Promise<void>;
  /** Stops what the engine keeps running (its program hosts), once the workers have stopped. */
  close?(): Promise<void>;
}
