import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../../automation/cli/api-client";
import { CliError } from "../../../automation/cli/cli-error";
import { type FollowEvent, FollowInterrupted, followRun } from "../../../automation/cli/follow-events";

/** A stand-in for the API: the test scripts each event-stream connection and the run's status. */
interface FakeApi {
  readonly client: ApiClient;
  /** Last-Event-ID of each events connection, in order (undefined: none sent). */
  readonly lastEventIds: (string | undefined)[];
  status: string;
  close(): Promise<void>;
}

let servers: Server[] = [];
afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

async function fakeApi(
  streams: ((res: ServerResponse, req: IncomingMessage) => void)[],
  status = "QUEUED",
): Promise<FakeApi> {
  const api = { lastEventIds: [] as (string | undefined)[], status } as FakeApi & { status: string };
  const server = createServer((req, res) => {
    if (req.url?.endsWith("/events")) {
      api.lastEventIds.push(req.headers["last-event-id"] as string | undefined);
      const script = streams[api.lastEventIds.length - 1];
      if (!script) {
        res
          .writeHead(503, { "content-type": "application/json" })
          .end('{"error":{"code":"x","message":"no more"}}');
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("retry: 2000\n\n");
      script(res, req);
      return;
    }
    if (req.url === "/runs/abcdefgh") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "abcdefgh", status: api.status, previewUrls: {} }));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":{"code":"run_not_found","message":"no such run","field":"id"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return Object.assign(api, {
    client: new ApiClient({
      url,
      urlSource: "--api",
      token: "t",
      tokenSource: "REPORUNNER_TOKEN",
      home: "/nonexistent",
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const event = (id: string, type: string, data: unknown) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
const fast = { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3, idleMs: 5000 };

function follow(api: FakeApi, options: { signal?: AbortSignal; reconnect?: object } = {}) {
  const events: FollowEvent[] = [];
  const done = followRun({
    client: api.client,
    runId: "abcdefgh",
    until: (s) => s === "READY" || s === "FAILED",
    onEvent: (e) => events.push(e),
    signal: options.signal ?? new AbortController().signal,
    reconnect: { ...fast, ...options.reconnect },
  });
  return { events, done };
}

describe("followRun", () => {
  it("shows the state the run settled in when the stream closed before its last state event", async () => {
    const api = await fakeApi([
      (res) => {
        res.write(event("1-0", "state", { status: "DEPLOYING" }));
        api.status = "READY";
        res.end();
      },
    ]);
    const { events, done } = follow(api);
    expect((await done).status).toBe("READY");
    expect(events).toEqual([
      { kind: "state", status: "DEPLOYING" },
      { kind: "state", status: "READY" },
    ]);
  });

  it("reconnects a dropped stream with Last-Event-ID and shows every event once", async () => {
    const api = await fakeApi([
      (res) => {
        res.write(event("1-0", "state", { status: "QUEUED" }));
        res.write(event("2-0", "output", { line: "cloning" }));
        // Half an event, then the connection dies: the half must not be shown.
        res.write("id: 3-0\nevent: state\n");
        setTimeout(() => res.socket?.destroy(), 20);
      },
      (res) => {
        api.status = "READY";
        res.end(event("3-0", "state", { status: "READY" }));
      },
    ]);
    const { events, done } = follow(api);
    const run = await done;
    expect(run.status).toBe("READY");
    expect(api.lastEventIds).toEqual([undefined, "2-0"]);
    expect(events.filter((e) => e.kind !== "reconnecting")).toEqual([
      { kind: "state", status: "QUEUED" },
      { kind: "output", line: "cloning" },
      { kind: "state", status: "READY" },
    ]);
    expect(events.some((e) => e.kind === "reconnecting" && e.attempt === 1)).toBe(true);
  });

  it("gives up on a stream that stays silent longer than the idle limit, and reconnects", async () => {
    const api = await fakeApi([
      (res) => res.write(event("5-0", "state", { status: "BUILDING" })),
      (res) => {
        api.status = "FAILED";
        res.end(event("6-0", "state", { status: "FAILED", reason: "build failed" }));
      },
    ]);
    const { events, done } = follow(api, { reconnect: { idleMs: 200 } });
    expect((await done).status).toBe("FAILED");
    expect(api.lastEventIds).toEqual([undefined, "5-0"]);
    expect(events).toContainEqual({ kind: "reconnecting", attempt: 1, why: "no data for 0.2 s" });
    expect(events.at(-1)).toEqual({ kind: "state", status: "FAILED", reason: "build failed" });
  });

  it("decides by the run record: a clean end of the stream before the run settles is followed again", async () => {
    const api = await fakeApi([
      (res) => res.end(event("1-0", "state", { status: "CLONING" })),
      (res) => {
        api.status = "READY";
        res.end(event("2-0", "state", { status: "READY" }));
      },
    ]);
    const { events, done } = follow(api);
    expect((await done).status).toBe("READY");
    expect(api.lastEventIds).toEqual([undefined, "1-0"]);
    expect(events.some((e) => e.kind === "reconnecting")).toBe(false);
  });

  it("stops when asked (Ctrl-C) and leaves the run alone", async () => {
    const api = await fakeApi([(res) => res.write(event("1-0", "state", { status: "CLONING" }))]);
    const interrupt = new AbortController();
    const { events, done } = follow(api, { signal: interrupt.signal });
    while (events.length === 0) await new Promise((r) => setTimeout(r, 10));
    interrupt.abort();
    await expect(done).rejects.toBeInstanceOf(FollowInterrupted);
  });

  it("does not retry a refusal: no such run is exit 4 at once", async () => {
    const api = await fakeApi([]);
    const done = followRun({
      client: api.client,
      runId: "zzzzzzzz",
      until: () => true,
      onEvent: () => undefined,
      signal: new AbortController().signal,
      reconnect: fast,
    });
    await expect(done).rejects.toMatchObject({
      exitCode: 4,
      message: expect.stringContaining("no run zzzzzzzz"),
    });
  });

  it("gives up with exit 3 when the API stays away, saying how to follow the run later", async () => {
    const api = await fakeApi([(res) => res.socket?.destroy()]);
    api.status = "BUILDING";
    await api.close();
    servers = [];
    const error = await follow(api).done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({
      exitCode: 3,
      message: expect.stringContaining("reporunner follow abcdefgh"),
    });
  });
});
