import { describe, expect, it } from "vitest";
import type { ApiClient, RunView } from "../../../automation/cli/api-client";
import { watchRun } from "../../../automation/cli/commands/follow";
import type { CliIO } from "../../../automation/cli/io";

/**
 * What `reporunner run` and `follow` print when the run's local URLs are written a moment after it
 * is READY, as the API server's local previews loop does.
 */
const ID = "abcdefgh";

function run(more: Partial<RunView> = {}): RunView {
  return {
    id: ID,
    status: "READY",
    repoUrl: "https://example.com/app.git",
    ref: null,
    reason: null,
    commitSha: null,
    previewUrls: { web: `http://localhost:30080/run-${ID}/web/` },
    localUrls: {},
    createdAt: new Date().toISOString(),
    history: [{ from: "DEPLOYING", to: "READY", at: new Date().toISOString() }],
    ...more,
  };
}

/** An API whose event stream ends at READY and whose `GET /runs/:id` answers `reads` in turn. */
function api(...reads: RunView[]) {
  let count = 0;
  const client = {
    target: { url: "http://api.test" },
    openEvents: async () =>
      new Response(`id: 1-0\nevent: state\ndata: ${JSON.stringify({ status: "READY" })}\n\n`),
    getRun: async () => reads[Math.min(count++, reads.length - 1)]!,
  };
  return { client: client as unknown as ApiClient, reads: () => count };
}

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    onInterrupt: () => () => undefined,
  };
  return io;
}

const options = { json: false, command: "run", localUrls: { windowMs: 2000, pollMs: 5 } } as const;
const LOCAL = { db: "tcp://localhost:5432", web: "http://localhost:8088" };

describe("watchRun", () => {
  it("prints the local URLs written just after READY beside the preview URL", async () => {
    const io = capture();
    const { client } = api(run(), run(), run({ localUrls: LOCAL }));
    expect(await watchRun(client, ID, io, options)).toBe(0);
    expect(io.out).toBe(
      [
        `run ${ID} is READY`,
        `  preview web  http://localhost:30080/run-${ID}/web/`,
        "  local   db   tcp://localhost:5432",
        "  local   web  http://localhost:8088",
        `remove it: reporunner rm ${ID}`,
        "",
      ].join("\n"),
    );
    expect(io.err).not.toContain("no local URLs");
  });

  it("prints the JSON of the run with its local URLs under --json", async () => {
    const io = capture();
    const { client } = api(run(), run({ localUrls: LOCAL }));
    expect(await watchRun(client, ID, io, { ...options, json: true })).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ status: "READY", localUrls: LOCAL });
  });

  it("says how to see them later when none come, and still exits 0 with the preview URL", async () => {
    const io = capture();
    const { client } = api(run());
    expect(await watchRun(client, ID, io, { ...options, localUrls: { windowMs: 50, pollMs: 5 } })).toBe(0);
    expect(io.out).toContain(`  preview web  http://localhost:30080/run-${ID}/web/`);
    expect(io.out).not.toContain("local ");
    expect(io.err).toContain(`no local URLs yet: reporunner follow ${ID} shows them`);
  });

  it("does not wait for local URLs of a run that publishes no port", async () => {
    const io = capture();
    const { client, reads } = api(run({ previewUrls: {} }));
    expect(await watchRun(client, ID, io, { ...options, localUrls: { windowMs: 60_000 } })).toBe(0);
    expect(io.out).toContain("no preview: the run publishes no port");
    // The one read is the follower's check that the run is READY.
    expect(reads()).toBe(1);
    expect(io.err).not.toContain("no local URLs");
  });
});
