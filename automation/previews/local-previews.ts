/**
 * Local previews: while a run is READY, each of its previews answers on localhost at its native port
 * (the compose-published one; another free port when that is taken), forwarded into the cluster. A
 * reconcile loop in the API server opens and closes the listeners as runs come and go, and records
 * the URLs on the runs as `localUrls`.
 */
import type { Logger } from "pino";
import type { RunStore } from "../runs/store";
import type { PreviewForwarder } from "./pod-forwarder";
import type { PortOwnership } from "./port-ownership";
import { openPreviewListener, type PreviewListener } from "./preview-listener";
import { localUrlWrites, planListeners, wantedPreviews } from "./preview-plan";

/** What local previews need. */
export interface LocalPreviewsDeps {
  readonly store: Pick<RunStore, "findReadyPreviews" | "setLocalUrls">;
  readonly forwarder: PreviewForwarder;
  readonly ownership: PortOwnership;
  readonly logger: Logger;
  /** Time between the end of one pass and the start of the next (default 2000 ms). */
  readonly intervalMs?: number;
}

/** The reconcile loop and the listeners it keeps. `start()` once, `stop()` before the store closes. */
export class LocalPreviews {
  private readonly listeners = new Map<string, PreviewListener>();
  /** Runs whose `localUrls` this process wrote: cleared again when it stops forwarding them. */
  private readonly written = new Set<string>();
  /** Previews whose listener could not be opened, so that a lasting failure is logged once. */
  private readonly failed = new Set<string>();
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;
  private failing = false;

  constructor(private readonly deps: LocalPreviewsDeps) {
    this.logger = deps.logger.child({ component: "local-previews" });
  }

  /** Where each open preview listens, by `<run id>/<name>`. */
  ports(): Map<string, number> {
    return new Map([...this.listeners].map(([key, l]) => [key, l.port]));
  }

  /** Runs a pass now, then one every `intervalMs` until `stop()`. */
  start(): void {
    const tick = () => {
      this.pass = this.reconcile()
        .then(() => {
          if (this.failing) this.logger.info("local previews reconciled again");
          this.failing = false;
        })
        .catch((err: Error) => {
          // Keep the listeners: a store or Redis outage does not make the runs any less READY.
          if (!this.failing) this.logger.warn({ err: err.message }, "local previews pass failed; will retry");
          this.failing = true;
        })
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.deps.intervalMs ?? 2000);
          this.timer.unref();
        });
    };
    tick();
  }

  /** One pass: open and close listeners to match the READY runs, then write the runs' `localUrls`. */
  async reconcile(): Promise<void> {
    if (this.stopped) return;
    if (!(await this.deps.ownership.hold())) {
      if (this.listeners.size > 0) this.logger.info("another server forwards the local previews now");
      // Not cleared: the new owner writes its own URLs over these.
      this.written.clear();
      await this.closeAll();
      return;
    }
    const runs = await this.deps.store.findReadyPreviews();
    const wanted = wantedPreviews(runs);
    const open = new Map([...this.listeners].map(([key, l]) => [key, l.preview]));
    const plan = planListeners(wanted, open);
    await Promise.all(plan.close.map((key) => this.close(key)));
    // One at a time, in the runs' order: the oldest run gets a contested native port.
    for (const preview of plan.open) {
      const log = this.logger.child({ runId: preview.runId, preview: preview.name });
      try {
        const listener = await openPreviewListener(preview, this.deps.forwarder, log);
        this.listeners.set(preview.key, listener);
        this.failed.delete(preview.key);
        log.info(
          { port: listener.port, nativePort: preview.localPort ?? preview.port },
          "local preview listening",
        );
      } catch (err) {
        if (!this.failed.has(preview.key))
          log.warn({ err: (err as Error).message }, "could not open a local preview; will retry");
        this.failed.add(preview.key);
      }
    }
    const wantedKeys = new Set(wanted.map((w) => w.key));
    for (const key of this.failed) if (!wantedKeys.has(key)) this.failed.delete(key);
    const ready = new Set(runs.map((r) => r._id));
    for (const id of this.written) if (!ready.has(id)) this.written.delete(id);

    for (const write of localUrlWrites(runs, this.ports())) {
      // Conditional on READY and the version read: a run that moved on keeps its newer state.
      if (await this.deps.store.setLocalUrls(write.runId, write.localUrls, write.version))
        this.written.add(write.runId);
    }
  }

  /** Stops the loop, closes every listener and clears the `localUrls` it wrote. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
    await this.closeAll();
    await Promise.all([...this.written].map((id) => this.deps.store.setLocalUrls(id, {}).catch(() => false)));
    this.written.clear();
    await this.deps.ownership.release().catch(() => undefined);
  }

  private async close(key: string): Promise<void> {
    const listener = this.listeners.get(key);
    if (!listener) return;
    this.listeners.delete(key);
    await listener.close();
    this.logger.info(
      { runId: listener.preview.runId, preview: listener.preview.name },
      "local preview closed",
    );
  }

  private async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((key) => this.close(key)));
  }
}
