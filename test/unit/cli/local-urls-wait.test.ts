import { describe, expect, it } from "vitest";
import type { RunView } from "../../../automation/cli/api-client";
import {
  awaitLocalUrls,
  LOCAL_URLS_WINDOW_MS,
  localUrlsWaitMs,
} from "../../../automation/cli/local-urls-wait";

const READY_AT = Date.parse("2025-01-01T12:00:00.000Z");

/** A run that became READY at READY_AT with a gateway preview and, so far, no local URL. */
function readyRun(more: Partial<RunView> = {}): RunView {
  return {
    id: "abcdefgh",
    status: "READY",
    repoUrl: "https://example.com/app.git",
    ref: null,
    reason: null,
    commitSha: null,
    previewUrls: { web: "http://localhost:30080/run-abcdefgh/web/" },
    localUrls: {},
    createdAt: new Date(READY_AT - 60_000).toISOString(),
    history: [
      { from: null, to: "QUEUED", at: new Date(READY_AT - 60_000).toISOString() },
      { from: "DEPLOYING", to: "READY", at: new Date(READY_AT).toISOString() },
    ],
    ...more,
  };
}

const LOCAL = { web: "http://localhost:8088", db: "tcp://localhost:5432" };

/** A client whose reads answer `answers` in turn (the last one again once they run out). */
function client(...answers: (RunView | Error)[]) {
  const reads: string[] = [];
  return {
    reads,
    getRun: async (id: string) => {
      reads.push(id);
      const answer = answers[Math.min(reads.length, answers.length) - 1]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const fast = { windowMs: 200, pollMs: 5 };

describe("localUrlsWaitMs", () => {
  it("waits for the local URLs of a run that publishes a preview and just became READY", () => {
    expect(localUrlsWaitMs(readyRun(), READY_AT + 1000)).toBe(LOCAL_URLS_WINDOW_MS - 1000);
    // A server clock ahead of ours gives no more than the window.
    expect(localUrlsWaitMs(readyRun(), READY_AT - 5000)).toBe(LOCAL_URLS_WINDOW_MS);
  });

  it("does not wait for a run that has its local URLs, publishes no port or is not READY", () => {
    expect(localUrlsWaitMs(readyRun({ localUrls: LOCAL }), READY_AT)).toBe(0);
    expect(localUrlsWaitMs(readyRun({ previewUrls: {} }), READY_AT)).toBe(0);
    expect(localUrlsWaitMs(readyRun({ status: "FAILED" }), READY_AT)).toBe(0);
  });

  it("does not wait for a run READY for longer than the window: its URLs would have come", () => {
    expect(localUrlsWaitMs(readyRun(), READY_AT + LOCAL_URLS_WINDOW_MS)).toBe(0);
    expect(localUrlsWaitMs(readyRun(), READY_AT + 3_600_000)).toBe(0);
  });

  it("counts from now when the API reports no history", () => {
    expect(localUrlsWaitMs(readyRun({ history: undefined }), READY_AT + 3_600_000)).toBe(
      LOCAL_URLS_WINDOW_MS,
    );
  });
});

describe("awaitLocalUrls", () => {
  const justReady = () =>
    readyRun({ history: [{ from: "DEPLOYING", to: "READY", at: new Date().toISOString() }] });

  it("returns the run once the server has written its local URLs", async () => {
    const run = justReady();
    const api = client(run, run, { ...run, localUrls: LOCAL });
    const waited = await awaitLocalUrls(api, run, new AbortController().signal, {
      ...fast,
      windowMs: 10_000,
    });
    expect(waited).toEqual({ run: { ...run, localUrls: LOCAL }, gaveUp: false });
    expect(api.reads).toEqual(["abcdefgh", "abcdefgh", "abcdefgh"]);
  });

  it("gives up after the window when no local URL comes (local previews off), with the run as it is", async () => {
    const run = justReady();
    const waited = await awaitLocalUrls(client(run), run, new AbortController().signal, fast);
    expect(waited).toEqual({ run, gaveUp: true });
  });

  it("reads nothing for a run that publishes no port", async () => {
    const run = { ...justReady(), previewUrls: {} };
    const api = client(run);
    expect(await awaitLocalUrls(api, run, new AbortController().signal, fast)).toEqual({
      run,
      gaveUp: false,
    });
    expect(api.reads).toEqual([]);
  });

  it("stops at once on Ctrl-C without calling it giving up", async () => {
    const run = justReady();
    const stop = new AbortController();
    stop.abort();
    const api = client(run);
    const waited = await awaitLocalUrls(api, run, stop.signal, { ...fast, windowMs: 60_000 });
    expect(waited).toEqual({ run, gaveUp: false });
    expect(api.reads).toEqual([]);
  });

  it("reports the READY run it had when the API cannot be read or the run has moved on", async () => {
    const run = justReady();
    const long = { ...fast, windowMs: 60_000 };
    const unreachable = await awaitLocalUrls(
      client(new Error("ECONNREFUSED")),
      run,
      new AbortController().signal,
      long,
    );
    expect(unreachable).toEqual({ run, gaveUp: true });
    const removed = await awaitLocalUrls(
      client({ ...run, status: "DESTROYING" }),
      run,
      new AbortController().signal,
      long,
    );
    expect(removed).toEqual({ run, gaveUp: true });
  });
});
