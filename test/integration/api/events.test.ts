/** GET /runs/:id/events: Server-Sent Events of state changes and engine output, replay, heartbeats. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ REPORUNNER_SSE_HEARTBEAT_MS: "200" });
});
afterAll(async () => {
  await h?.close();
});

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads a whole event stream (until the server closes it) and parses it. */
async function readStream(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.server.url + path, {
    headers: { authorization: `Bearer ${TOKENS.alice}`, ...headers },
  });
  const text = await res.text();
  const events: SseEvent[] = [];
  let heartbeats = 0;
  for (const block of text.split("\n\n")) {
    if (block.startsWith(": heartbeat")) heartbeats++;
    const e: SseEvent = {};
    for (const line of block.split("\n")) {
      const [k, ...rest] = line.split(": ");
      const v = rest.join(": ");
      if (k === "id") e.id = v;
      if (k === "event") e.event = v;
      if (k === "data") e.data = v;
    }
    if (e.id) events.push(e);
  }
  return { res, events, heartbeats };
}

const states = (events: SseEvent[]) =>
  events.filter((e) => e.event === "state").map((e) => JSON.parse(e.data!).status as string);

describe("run events", () => {
  it("streams every state change and the engine's output, and closes at READY", async () => {
    h.engine.defaultScript = { phaseMs: 400 };
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    const { res, events, heartbeats } = await readStream(`/runs/${body.id}/events`);
    h.engine.defaultScript = {};
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(states(events)).toEqual(["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY"]);
    expect(events.filter((e) => e.event === "output").map((e) => JSON.parse(e.data!).line)).toContain(
      `building ${body.id}`,
    );
    expect(heartbeats).toBeGreaterThan(0);
  });

  it("replays only what follows Last-Event-ID, then closes for a settled run", async () => {
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const all = await readStream(`/runs/${body.id}/events`);
    const cut = all.events.findIndex((e) => e.event === "state" && e.data!.includes("BUILDING"));
    const rest = await readStream(`/runs/${body.id}/events`, { "last-event-id": all.events[cut]!.id! });
    expect(rest.events.map((e) => e.id)).toEqual(all.events.slice(cut + 1).map((e) => e.id));
  });

  it("follows a destroy to DESTROYED without stopping at the earlier READY", async () => {
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    await h.waitFor(body.id, (r) => r.status === "READY");
    await h.call("DELETE", `/runs/${body.id}`);
    const { events } = await readStream(`/runs/${body.id}/events`);
    expect(states(events).slice(-2)).toEqual(["DESTROYING", "DESTROYED"]);
  });

  it("refuses a Last-Event-ID that is not an event id", async () => {
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/o/r" } });
    const res = await h.call("GET", `/runs/${body.id}/events`, { headers: { "last-event-id": "'; DROP" } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("Last-Event-ID");
  });
});
