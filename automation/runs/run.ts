/** The run record as the store keeps it. */
import type { SealedEnv } from "./env-seal";
import type { RunState } from "./states";

/** How the engine should find what to build. */
export type RunMode = "auto" | "dockerfile" | "compose";

/** One step of a run's history. */
export interface Transition {
  readonly from: RunState | null;
  readonly to: RunState;
  readonly at: Date;
  readonly reason?: string;
}

/** When a phase started and ended. */
export interface PhaseTiming {
  startedAt: Date;
  endedAt?: Date;
}

/** The Kubernetes Service behind one preview, in the run's namespace, and its (native) port. */
export interface PreviewTarget {
  readonly service: string;
  readonly port: number;
  /** The port asked for on localhost: the one compose publishes; absent on older records: `port`. */
  readonly localPort?: number;
  /** `tcp` for a database or broker (its local URL is `tcp://`); absent on older records: `http`. */
  readonly protocol?: "http" | "tcp";
}

/** What a job asks a worker to do with a run. */
export type JobAction = "deploy" | "destroy";

/** A run, as stored in MongoDB `runs` (its `_id` is the run id). */
export interface RunRecord {
  _id: string;
  owner: string;
  repoUrl: string;
  ref: string | null;
  mode: RunMode;
  /** `POST /runs` `previewPort`: the port a lone Dockerfile's app listens on; absent when not given. */
  previewPort?: number;
  /**
   * Extra environment for the workloads: names in clear, each value sealed with the instance key
   * (`env-seal.ts`; `RunStore.openEnv` gives them back). Returned to clients by name only, never logged.
   */
  env: SealedEnv;
  ttlSeconds: number;
  status: RunState;
  reason: string | null;
  commitSha: string | null;
  namespace: string | null;
  previewUrls: Record<string, string>;
  /**
   * Every preview, keyed like `previewUrls` (which leaves out a TCP preview behind the gateway);
   * absent on records written before the field existed.
   */
  previewTargets?: Record<string, PreviewTarget>;
  /**
   * Same keys: `http://localhost:<port>` where the API server forwards each preview while the run is
   * READY (`automation/previews/`); empty when nothing forwards them.
   */
  localUrls?: Record<string, string>;
  images: Record<string, string>;
  warnings: string[];
  phases: Partial<Record<RunState, PhaseTiming>>;
  history: Transition[];
  /** The worker (consumer name) that holds the run's current job; only it writes an in-flight run. */
  holder: string | null;
  /** When the holder last showed it is alive; a claimer leaves a job alone while this is recent. */
  heartbeatAt?: Date | null;
  /** Interrupted attempts of the current job (crashes, shutdowns). */
  attempt: number;
  cancelRequested: boolean;
  destroyRequested: boolean;
  /** Set when the TTL reaper started the destroy: the run ends EXPIRED, not DESTROYED. */
  expiring: boolean;
  /** When the job was put on `runs:jobs`; null until then (the sweeper re-enqueues stragglers). */
  enqueuedAt: Date | null;
  /**
   * The W3C `traceparent` of the request that created the run: workers continue its trace across the
   * queue (queue wait, deploy), so one run is one trace. Absent when tracing was off.
   */
  traceparent?: string | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
}
