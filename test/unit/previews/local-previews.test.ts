import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LocalPreviews } from "../../../automation/previews/local-previews";
import type { ForwardTarget, PreviewForwarder } from "../../../automation/previews/pod-forwarder";
import type { PortOwnership } from "../../../automation/previews/port-ownership";
import type { RunState } from "../../../automation/runs/states";
import type { ReadyPreviewRun } from "../../../automation/runs/store";
import { freePort } from "../../support/services";

/** The fields of a stored run local previews read and write, in memory. */
interface FakeRun extends ReadyPreviewRun {
  status: RunState;
}

class FakeStore {
  readonly runs = new Map<string, FakeRun>();
  /** Runs between the read and the write of a pass: a concurrent writer. */
  beforeWrite: () => void = () => undefined;
  down = false;

  add(id: string, targets: FakeRun["previewTargets"], createdAt = new Date()): FakeRun {
    const run: FakeRun = {
      _id: id,
      status: "READY",
      namespace: `run-${id}`,
      previewTargets: targets,
      localUrls: {},
      createdAt,
      version: 1,
    };
    this.runs.set(id, run);
    return run;
  }

  async findReadyPreviews(): Promise<ReadyPreviewRun[]> {
    if (this.down) throw new Error("MongoDB is unreachable");
    return [...this.runs.values()]
      .filter((r) => r.status === "READY" && r.previewTargets)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => ({ ...r }));
  }

  async setLocalUrls(id: string, localUrls: Record<string, string>, version?: number): Promise<boolean> {
    this.beforeWrite();
    const run = this.runs.get(id);
    if (!run || run.status !== "READY" || (version !== undefined && run.version !== version)) return false;
    run.localUrls = localUrls;
    run.version++;
    return true;
  }
}

/** Answers every connection with where it would have gone, or drops it when `failing`. */
class FakeForwarder implements PreviewForwarder {
  failing = false;
  async forward(socket: Socket, target: ForwardTarget): Promise<void> {
    if (this.failing) throw new Error("service web has no Ready pod");
    socket.end(`${target.namespace}/${target.service}:${target.port}`);
  }
}

/** What a client connecting to 127.0.0.1:`port` reads, or the connection's error code. */
function read(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const socket = connect(port, "127.0.0.1");
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
  });
}

let previews: LocalPreviews[] = [];
afterEach(async () => {
  await Promise.all(previews.map((p) => p.stop()));
  previews = [];
});

function setup(ownership?: PortOwnership) {
  const store = new FakeStore();
  const forwarder = new FakeForwarder();
  const p = new LocalPreviews({
    store,
    forwarder,
    ownership: ownership ?? { hold: async () => true, release: async () => undefined },
    logger: pino({ level: "silent" }),
    intervalMs: 20,
  });
  previews.push(p);
  return { store, forwarder, previews: p };
}

describe("LocalPreviews", () => {
  it("forwards a READY run's preview on its native port and records the URL on the run", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    const run = store.add("aaaaaaaa", { web: { service: "web", port: native } });
    await previews.reconcile();
    expect(run.localUrls).toEqual({ web: `http://localhost:${native}` });
    expect(await read(native)).toBe(`run-aaaaaaaa/web:${native}`);
  });

  it("listens on the port compose publishes (8088 of 8088:80) and forwards to the container's", async () => {
    const { store, previews } = setup();
    const published = await freePort();
    const run = store.add("aaaaaaaa", { web: { service: "web", port: 80, localPort: published } });
    await previews.reconcile();
    expect(run.localUrls).toEqual({ web: `http://localhost:${published}` });
    expect(await read(published)).toBe("run-aaaaaaaa/web:80");
  });

  it("gives a newer run asking for the same native port another port; the older one keeps it", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    const newer = store.add("bbbbbbbb", { app: { service: "app", port: native } }, new Date(2000));
    const older = store.add("aaaaaaaa", { web: { service: "web", port: native } }, new Date(1000));
    await previews.reconcile();
    expect(older.localUrls).toEqual({ web: `http://localhost:${native}` });
    const other = Number(new URL(newer.localUrls!.app!).port);
    expect(other).not.toBe(native);
    expect(await read(native)).toBe(`run-aaaaaaaa/web:${native}`);
    expect(await read(other)).toBe(`run-bbbbbbbb/app:${native}`);
  });

  it("closes a run's listeners once it leaves READY, without writing the run again", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    const run = store.add("aaaaaaaa", { web: { service: "web", port: native } });
    await previews.reconcile();
    run.status = "DESTROYING";
    const version = run.version;
    await previews.reconcile();
    expect(await read(native)).toBe("ECONNREFUSED");
    expect(previews.ports().size).toBe(0);
    expect(run.version).toBe(version);
  });

  it("leaves a run written since it was read alone, and writes its URLs on the next pass", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    const run = store.add("aaaaaaaa", { web: { service: "web", port: native } });
    store.beforeWrite = () => {
      run.version++;
      store.beforeWrite = () => undefined;
    };
    await previews.reconcile();
    expect(run.localUrls).toEqual({});
    await previews.reconcile();
    expect(run.localUrls).toEqual({ web: `http://localhost:${native}` });
  });

  it("reopens a preview whose target a redeploy changed, and updates the URLs", async () => {
    const { store, previews } = setup();
    const [first, second] = [await freePort(), await freePort()];
    const run = store.add("aaaaaaaa", { web: { service: "web", port: first } });
    await previews.reconcile();
    run.previewTargets = { web: { service: "web", port: second } };
    await previews.reconcile();
    expect(await read(first)).toBe("ECONNREFUSED");
    expect(await read(second)).toBe(`run-aaaaaaaa/web:${second}`);
    expect(run.localUrls).toEqual({ web: `http://localhost:${second}` });
  });

  it("drops a connection it cannot forward and keeps listening", async () => {
    const { store, forwarder, previews } = setup();
    const native = await freePort();
    store.add("aaaaaaaa", { web: { service: "web", port: native } });
    await previews.reconcile();
    forwarder.failing = true;
    expect(["", "ECONNRESET"]).toContain(await read(native));
    forwarder.failing = false;
    expect(await read(native)).toBe(`run-aaaaaaaa/web:${native}`);
  });

  it("keeps its listeners through a store outage", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    store.add("aaaaaaaa", { web: { service: "web", port: native } });
    await previews.reconcile();
    store.down = true;
    await expect(previews.reconcile()).rejects.toThrow(/unreachable/);
    expect(await read(native)).toBe(`run-aaaaaaaa/web:${native}`);
  });

  it("closes everything when another server owns the ports", async () => {
    let owner = true;
    const { store, previews } = setup({ hold: async () => owner, release: async () => undefined });
    const native = await freePort();
    store.add("aaaaaaaa", { web: { service: "web", port: native } });
    await previews.reconcile();
    owner = false;
    await previews.reconcile();
    expect(await read(native)).toBe("ECONNREFUSED");
  });

  it("follows the runs on its own once started, and on stop closes the listeners and clears the URLs", async () => {
    const { store, previews } = setup();
    const native = await freePort();
    previews.start();
    const run = store.add("aaaaaaaa", { web: { service: "web", port: native } });
    for (let i = 0; i < 100 && !run.localUrls?.web; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await read(native)).toBe(`run-aaaaaaaa/web:${native}`);
    await previews.stop();
    expect(await read(native)).toBe("ECONNREFUSED");
    expect(run.localUrls).toEqual({});
  });
});
