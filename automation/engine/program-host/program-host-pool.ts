import { type ChildProcess, fork } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { HostMessage } from "./host-messages";

/**
 * Warm program hosts (`host-main.ts`), leased one update at a time: a run's `pulumi up` connects to a
 * host that has the program loaded already instead of starting a language host, Node.js and the SDKs.
 * Hosts start when first needed, up to `size` (the worker count: one update per worker), and stay.
 * A host that dies is dropped, and the next lease starts a new one.
 */
export interface ProgramHostPoolOptions {
  /** How many hosts at most: one per update that may run at once. */
  readonly size: number;
  /** The hosts' whole environment: the program sees what a language host started by the CLI would. */
  readonly env: Readonly<Record<string, string>>;
  /** A line a host wrote on stdout or stderr (the program's own console output). */
  readonly onOutput?: (line: string) => void;
  /** How long a host may take to load the program and listen (default 120 s). */
  readonly startTimeoutMs?: number;
}

/** One host, lent out until `release()`. */
export interface ProgramHostLease {
  /** `127.0.0.1:<port>`: what `pulumi up --client` connects to. */
  readonly address: string;
  release(): void;
}

interface Host {
  readonly child: ChildProcess;
  readonly address: string;
}

const ENTRY = path.join(__dirname, `host-main${path.extname(__filename)}`);

export class ProgramHostPool {
  private readonly idle: Host[] = [];
  private readonly live = new Set<Host>();
  private starting = 0;
  private readonly waiting: Array<{ resolve: (host: Host) => void; reject: (error: Error) => void }> = [];

  constructor(private readonly options: ProgramHostPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new Error("a program host pool needs size ≥ 1");
  }

  /**
   * Starts one host ahead of the first run, so that it finds the program loaded; resolves once it is
   * ready. A host that fails to start is left for `acquire` to try again.
   */
  async warm(): Promise<void> {
    if (this.live.size + this.starting > 0) return;
    try {
      this.give(await this.startHost());
    } catch {
      // `acquire` starts another and reports its failure with the run.
    }
  }

  /** A host of its own for one update; waits while every host is busy. */
  async acquire(): Promise<ProgramHostLease> {
    const host = this.idle.pop() ?? (await this.nextHost());
    let released = false;
    return {
      address: host.address,
      release: () => {
        if (released) return;
        released = true;
        this.give(host);
      },
    };
  }

  /**
   * The address of a live host, busy or idle, for a CLI that only asks for the program's plugins
   * (destroy): no lease, since that call runs nothing. Undefined while no host is up.
   */
  anyAddress(): string | undefined {
    return (this.idle[0] ?? [...this.live][0])?.address;
  }

  /** The process ids of the live hosts, busy or idle (for status and tests). */
  hostPids(): number[] {
    return [...this.live].flatMap((host) => (host.child.pid === undefined ? [] : [host.child.pid]));
  }

  /** Stops every host (leases in use fail with their update); a later `acquire` starts new ones. */
  close(): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error("the program hosts were stopped"));
    for (const host of this.live) host.child.kill("SIGTERM");
  }

  private nextHost(): Promise<Host> {
    if (this.live.size + this.starting < this.options.size) return this.startHost();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** A released or new host goes to the first waiter, or back to the idle list. */
  private give(host: Host): void {
    if (!this.live.has(host)) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(host);
    else this.idle.push(host);
  }

  private async startHost(): Promise<Host> {
    this.starting++;
    try {
      const host = await this.spawnHost();
      this.live.add(host);
      host.child.once("exit", () => this.drop(host));
      return host;
    } finally {
      this.starting--;
    }
  }

  /** A dead host leaves the pool; a waiter that counted on the room gets a new one. */
  private drop(host: Host): void {
    this.live.delete(host);
    const at = this.idle.indexOf(host);
    if (at >= 0) this.idle.splice(at, 1);
    const waiter = this.waiting.shift();
    if (waiter) this.startHost().then(waiter.resolve, waiter.reject);
  }

  private spawnHost(): Promise<Host> {
    const child = fork(ENTRY, [], {
      env: { ...this.options.env },
      // A TypeScript checkout runs the host through tsx, as `npm start` runs the API; a build runs JavaScript.
      execArgv: ENTRY.endsWith(".ts") ? ["--import", "tsx"] : [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on("line", (line) => this.options.onOutput?.(line));
    }
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`the program host did not start: ${reason}`));
      };
      const timer = setTimeout(
        () => fail(`no answer in ${this.options.startTimeoutMs ?? 120_000} ms`),
        this.options.startTimeoutMs ?? 120_000,
      );
      child.once("exit", (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
      child.once("message", (message: HostMessage) => {
        if (message.type === "failed") return fail(message.message);
        clearTimeout(timer);
        child.removeAllListeners("exit");
        // An idle host keeps no process alive (a bench, a test, a CLI that is done); it exits with it.
        child.unref();
        child.channel?.unref();
        for (const stream of [child.stdout, child.stderr])
          (stream as { unref?: () => void } | null)?.unref?.();
        resolve({ child, address: message.address });
      });
    });
  }
}
