/**
 * The Run API as the CLI calls it: one method per endpoint, and every failure turned into a CliError
 * whose exit code says what kind of failure it was (refused, not found, unreachable).
 */
import type { RunState } from "../runs/states";
import { type ApiTarget, requireToken } from "./api-target";
import { CliError } from "./cli-error";
import { EXIT } from "./io";

/** The fields of a run the CLI reads (the API sends more; `--json` prints all of it). */
export interface RunView {
  readonly id: string;
  readonly status: RunState;
  readonly repoUrl: string;
  readonly ref: string | null;
  readonly reason: string | null;
  readonly commitSha: string | null;
  readonly previewUrls: Readonly<Record<string, string>>;
  /** URLs that reach the run straight from this machine, when the API reports them. */
  readonly localUrls?: Readonly<Record<string, string>> | readonly string[];
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** The run's state changes, oldest first. */
  readonly history?: readonly {
    readonly from: RunState | null;
    readonly to: RunState;
    readonly at: string;
  }[];
  /** The run's trace, when the API traces runs; its page in the Jaeger UI, when one is configured. */
  readonly traceId?: string | null;
  readonly traceUrl?: string | null;
  readonly [more: string]: unknown;
}

/** `POST /runs` body. */
export interface CreateRunBody {
  readonly repoUrl: string;
  readonly ref?: string;
  readonly mode?: "auto" | "dockerfile" | "compose";
  readonly previewPort?: number;
  readonly ttl?: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** The 202 answer of the calls that start work. */
export interface Accepted {
  readonly id: string;
  readonly status: RunState;
}

export interface RunPage {
  readonly items: RunView[];
  readonly nextCursor: string | null;
}

export interface LogsView {
  readonly id: string;
  readonly lines: string[];
  readonly truncated: boolean;
}

/** `/readyz`: 200 or 503, both with a body. */
export interface Readiness {
  readonly status: string;
  readonly checks: Readonly<Record<string, string>>;
}

/** The `{error: {...}}` body every API error has. */
interface ErrorBody {
  error?: { code?: string; message?: string; field?: string };
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A client bound to one API target. */
export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  createRun(body: CreateRunBody): Promise<Accepted> {
    return this.json("POST", "/runs", { body });
  }

  getRun(id: string): Promise<RunView> {
    return this.json("GET", `/runs/${id}`, { runId: id });
  }

  listRuns(query: { status?: string; limit: number; cursor?: string }): Promise<RunPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.status) params.set("status", query.status);
    if (query.cursor) params.set("cursor", query.cursor);
    return this.json("GET", `/runs?${params}`);
  }

  deleteRun(id: string): Promise<Accepted> {
    return this.json("DELETE", `/runs/${id}`, { runId: id });
  }

  /** `POST /runs/:id/extend`: the run, expiring `ttl` seconds from now. */
  extendRun(id: string, ttl: number): Promise<RunView> {
    return this.json("POST", `/runs/${id}/extend`, { body: { ttl }, runId: id });
  }

  logs(id: string, tail: number): Promise<LogsView> {
    return this.json("GET", `/runs/${id}/logs?tail=${tail}`, { runId: id });
  }

  /** A new one-time sign-in link to the dashboard for the token's owner. */
  signInLink(): Promise<{ url: string; expiresInSeconds: number }> {
    return this.json("POST", "/session/codes");
  }

  /** `/readyz`, unauthenticated; a 503 is an answer here, not a failure. */
  async readiness(): Promise<Readiness> {
    const res = await this.send("GET", "/readyz", { auth: false });
    const body = await readJson(res);
    if (res.status !== 200 && res.status !== 503) throw this.failure(res, body);
    return body as Readiness;
  }

  /** Opens `GET /runs/:id/events`; the caller reads the body until the server ends it. */
  async openEvents(id: string, lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const res = await this.send("GET", `/runs/${id}/events`, { headers, signal });
    if (!res.ok || !res.body) throw this.failure(res, await readJson(res), id);
    return res;
  }

  private async json<T>(
    method: string,
    path: string,
    options: { body?: unknown; runId?: string } = {},
  ): Promise<T> {
    const res = await this.send(method, path, { body: options.body });
    const body = await readJson(res);
    if (!res.ok) throw this.failure(res, body, options.runId);
    return body as T;
  }

  private async send(
    method: string,
    path: string,
    options: { body?: unknown; auth?: boolean; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== false) headers.authorization = `Bearer ${requireToken(this.target)}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    // An event stream may stay open for as long as a deploy takes; only plain requests time out.
    const signal = options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await fetch(this.target.url + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw unreachable(this.target.url, error);
    }
  }

  private failure(res: Response, body: unknown, runId?: string): CliError {
    const error = (body as ErrorBody | undefined)?.error;
    const message = error?.message ?? `the API answered ${res.status} ${res.statusText}`.trim();
    if (res.status === 404 && runId) {
      return new CliError(EXIT.notFound, `no run ${runId} (it does not exist or belongs to another token)`);
    }
    if (res.status === 401) {
      return new CliError(
        EXIT.refused,
        `the API at ${this.target.url} refused the token from ${this.target.tokenSource ?? "nowhere"}: ${message}`,
      );
    }
    if (res.status >= 500) {
      const retry = res.headers.get("retry-after");
      return new CliError(
        EXIT.unreachable,
        `the Run API at ${this.target.url} cannot serve this now: ${message}${retry ? ` (retry in ${retry} s)` : ""}`,
      );
    }
    const field = error?.field;
    const named = field && !message.startsWith(field) ? `${field}: ${message}` : message;
    return new CliError(EXIT.refused, `${named} (${res.status}${error?.code ? ` ${error.code}` : ""})`);
  }
}

/** A connection that failed before any answer: the API is not running (or not where we look). */
export function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why =
    cause?.code === "ECONNREFUSED"
      ? "connection refused"
      : (error as { name?: string }).name === "TimeoutError"
        ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new CliError(
    EXIT.unreachable,
    `cannot reach the Run API at ${url} (${why}): start it with \`npm start\` (or \`reporunner up\`)`,
    { cause: error },
  );
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
