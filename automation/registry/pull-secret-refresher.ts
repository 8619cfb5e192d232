import type { ExpiringCredentials } from "./ecr-token";
import { pullSecretManifest } from "./pull-secret";
import type { RunNamespaceSecrets } from "./run-namespaces";

/** Time as the refresher sees it; tests pass one they move by hand. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms` of this clock's time, or when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      // Unref'd: a refresher waiting for its next round never keeps the process alive.
      const timer = setTimeout(resolve, ms).unref();
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    }),
};

export interface PullSecretRefresherOptions {
  /** Fresh registry credentials (`ecrCredentials()`). */
  readonly credentials: () => Promise<ExpiringCredentials>;
  readonly cluster: RunNamespaceSecrets;
  readonly clock?: Clock;
  /** How long before the credentials expire they are replaced (default 2 hours). */
  readonly refreshBeforeMs?: number;
  /** Wait after a failed refresh before the next try (default 1 minute). */
  readonly retryMs?: number;
  /** Told about every round; the service logs it. */
  readonly onRound?: (report: RefreshReport) => void;
}

/** What one refresh round did. */
export interface RefreshReport {
  readonly at: Date;
  readonly expiresAt?: Date;
  /** When the next round runs. */
  readonly nextAt: Date;
  readonly refreshed: readonly string[];
  readonly failed: readonly { readonly namespace: string; readonly error: string }[];
  /** Set when no credentials could be had at all. */
  readonly error?: string;
}

/**
 * Keeps the image pull Secret of every live run namespace valid: ECR tokens expire after 12 hours, a
 * run can live longer, and a pod that restarts or is rescheduled pulls again. Each round gets fresh
 * credentials and replaces the Secret in every run namespace; the next round is `refreshBeforeMs`
 * before they expire (a failed round is retried after `retryMs`). New runs need no round: their
 * stack writes the Secret with the credentials of their deploy.
 *
 * It runs in the service (one per process that runs workers, in hybrid mode only); a round is
 * idempotent, so several processes refreshing the same cluster only repeat each other's writes.
 */
export class PullSecretRefresher {
  private readonly clock: Clock;
  private readonly refreshBeforeMs: number;
  private readonly retryMs: number;
  private controller?: AbortController;
  private loop?: Promise<void>;

  constructor(private readonly options: PullSecretRefresherOptions) {
    this.clock = options.clock ?? systemClock;
    this.refreshBeforeMs = options.refreshBeforeMs ?? 2 * 60 * 60 * 1000;
    this.retryMs = options.retryMs ?? 60_000;
  }

  /** One round now: fresh credentials into every live run namespace. */
  async refreshNow(): Promise<RefreshReport> {
    const at = this.clock.now();
    let credentials: ExpiringCredentials;
    try {
      credentials = await this.options.credentials();
    } catch (error) {
      return this.report({
        at,
        nextAt: this.after(at, this.retryMs),
        refreshed: [],
        failed: [],
        error: message(error),
      });
    }
    const refreshed: string[] = [];
    const failed: { namespace: string; error: string }[] = [];
    let namespaces: Awaited<ReturnType<RunNamespaceSecrets["listRunNamespaces"]>>;
    try {
      namespaces = await this.options.cluster.listRunNamespaces();
    } catch (error) {
      return this.report({
        at,
        nextAt: this.after(at, this.retryMs),
        refreshed,
        failed,
        error: message(error),
      });
    }
    for (const namespace of namespaces) {
      try {
        await this.options.cluster.putSecret(
          pullSecretManifest(namespace.name, namespace.runId, credentials, at),
        );
        refreshed.push(namespace.name);
      } catch (error) {
        // A namespace deleted meanwhile, or one being torn down: the others still get their Secret.
        failed.push({ namespace: namespace.name, error: message(error) });
      }
    }
    const due = new Date(
      Math.max(credentials.expiresAt.getTime() - this.refreshBeforeMs, at.getTime() + 1000),
    );
    const nextAt = failed.length > 0 ? new Date(Math.min(due.getTime(), at.getTime() + this.retryMs)) : due;
    return this.report({ at, expiresAt: credentials.expiresAt, nextAt, refreshed, failed });
  }

  /** Starts the rounds in the background: one now, then each when the last one said. */
  start(): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.controller = controller;
    this.loop = (async () => {
      while (!controller.signal.aborted) {
        const report = await this.refreshNow();
        const wait = report.nextAt.getTime() - this.clock.now().getTime();
        await this.clock.sleep(Math.max(wait, 0), controller.signal);
      }
    })();
  }

  /** Stops after the round in progress, if any. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private report(report: RefreshReport): RefreshReport {
    this.options.onRound?.(report);
    return report;
  }

  private after(at: Date, ms: number): Date {
    return new Date(at.getTime() + ms);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
