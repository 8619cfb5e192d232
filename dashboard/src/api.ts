/** The Run API as the dashboard calls it: same origin, the session cookie, JSON in and out. */

/** A run as `GET /runs/:id` shows it (automation/api/run-view.ts). */
export interface Run {
  id: string;
  status: RunState;
  repoUrl: string;
  ref: string | null;
  mode: Mode;
  envKeys: string[];
  ttl: number;
  reason: string | null;
  commitSha: string | null;
  namespace: string | null;
  previewUrls: Record<string, string>;
  localUrls: Record<string, string>;
  warnings: string[];
  phases: Record<string, { startedAt: string; endedAt?: string; durationMs?: number }>;
  history: { from: RunState | null; to: RunState; at: string; reason?: string }[];
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** The run's trace, when the API traces runs; its page in the Jaeger UI, when one is configured. */
  traceId?: string | null;
  traceUrl?: string | null;
}

export type Mode = "auto" | "compose" | "dockerfile";

export type RunState =
  | "QUEUED"
  | "CLONING"
  | "BUILDING"
  | "DEPLOYING"
  | "READY"
  | "DESTROYING"
  | "DESTROYED"
  | "FAILED"
  | "CANCELLED"
  | "EXPIRED";

/** States after which nothing happens until someone acts (the event stream closes there). */
export const SETTLED: readonly RunState[] = ["READY", "FAILED", "CANCELLED", "EXPIRED", "DESTROYED"];
/** States whose stack is gone for good. */
export const FINAL: readonly RunState[] = ["DESTROYED", "EXPIRED"];

/** The API's error body. */
export interface ApiError {
  code: string;
  message: string;
  field?: string;
}

/** A refused or failed call, with the API's own error. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
}

/** Calls the API; resolves to the JSON body, rejects with an ApiFailure. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, { code: "unreachable", message: "the Run API cannot be reached" });
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: ApiError };
  if (!res.ok) {
    throw new ApiFailure(res.status, data.error ?? { code: `http_${res.status}`, message: res.statusText });
  }
  return data as T;
}

/** The body of `POST /runs`. */
export interface NewRun {
  repoUrl: string;
  ref?: string;
  mode: Mode;
  env: Record<string, string>;
  ttl?: number;
  /** The port a lone Dockerfile's app listens on, when it EXPOSEs none. */
  previewPort?: number;
}
