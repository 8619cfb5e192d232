import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeferredRunEngine } from "../../../automation/engine/deferred-engine";
import type { RunEngine } from "../../../automation/engine/run-engine";

/**
 * The API's engine loads the Pulumi engine only when a run needs it: readiness and the sweeper's
 * listing ask the CLI (here a stand-in `pulumi` script on PATH) and load nothing.
 */
let bin: string;
let calls: string;

beforeAll(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "deferred-engine-"));
  calls = path.join(bin, "calls");
  // Answers `stack ls --json` with a run stack, another project's stack and a non-run stack;
  // `whoami` fails as a CLI that cannot reach its backend does (PULUMI_TEST_FAIL), or when it sees
  // a variable of the API's.
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    `#!/bin/sh
echo "$*" >> "${calls}"
case "$1" in
  stack) echo '[{"name":"run-abc12345"},{"name":"org/other/run-def67890"},{"name":"dev"}]' ;;
  whoami)
    if [ -n "$PULUMI_TEST_FAIL" ]; then echo "error: no backend" >&2; exit 1; fi
    if [ -n "$REPORUNNER_SECRET" ]; then echo "error: leaked" >&2; exit 1; fi
    echo '{"user":"me"}' ;;
esac
`,
    { mode: 0o755 },
  );
});

afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

function deferred(pulumiEnv: Record<string, string>, load: () => Promise<RunEngine>) {
  return new DeferredRunEngine(
    { projectDir: bin, pulumiEnv: { PATH: `${bin}:/usr/bin:/bin`, ...pulumiEnv } },
    load,
  );
}

function fakeEngine(closed: string[] = []): RunEngine {
  return {
    deploy: async (request) => ({
      commitSha: `deployed ${request.runId}`,
      namespace: `run-${request.runId}`,
      previewUrls: {},
      previewTargets: {},
      images: {},
      warnings: [],
    }),
    destroy: async () => undefined,
    cancel: async () => undefined,
    listRunStacks: async () => ["from-the-engine"],
    ping: async () => undefined,
    close: async () => void closed.push("closed"),
  };
}

const request = { runId: "abc12345", repoUrl: "https://example.com/r.git", mode: "auto", env: {} } as const;
const listener = { phase: () => undefined, output: () => undefined };

describe("DeferredRunEngine", () => {
  it("answers readiness and lists run stacks without loading the engine", async () => {
    let loads = 0;
    const engine = deferred({}, async () => {
      loads++;
      return fakeEngine();
    });
    await engine.ping();
    expect(await engine.listRunStacks()).toEqual(["abc12345", "def67890"]);
    expect(loads).toBe(0);
    expect(engine.isLoaded).toBe(false);
    expect(fs.readFileSync(calls, "utf8")).toContain("stack ls --json --non-interactive");
  });

  it("fails readiness with the CLI's own first line", async () => {
    const engine = deferred({ PULUMI_TEST_FAIL: "1" }, async () => fakeEngine());
    await expect(engine.ping()).rejects.toThrow("pulumi whoami --json failed: error: no backend");
  });

  it("gives the CLI its own variables only, never the API's", async () => {
    const engine = deferred({ REPORUNNER_SECRET: "from the engine's settings" }, async () => fakeEngine());
    process.env.REPORUNNER_SECRET = "from this process";
    try {
      await expect(engine.ping()).resolves.toBeUndefined();
    } finally {
      delete process.env.REPORUNNER_SECRET;
    }
  });

  it("loads the engine once, on the first run, for every run after it", async () => {
    let loads = 0;
    const engine = deferred({}, async () => {
      loads++;
      return fakeEngine();
    });
    const [a, b] = await Promise.all([
      engine.deploy(request, listener),
      engine.deploy({ ...request, runId: "def67890" }, listener),
    ]);
    await engine.destroy("abc12345", listener);
    await engine.cancel("abc12345");
    expect([a.commitSha, b.commitSha]).toEqual(["deployed abc12345", "deployed def67890"]);
    expect(loads).toBe(1);
  });

  it("tries the load again after one that failed", async () => {
    let loads = 0;
    const engine = deferred({}, async () => {
      if (++loads === 1) throw new Error("module not found");
      return fakeEngine();
    });
    await expect(engine.deploy(request, listener)).rejects.toThrow("module not found");
    await expect(engine.deploy(request, listener)).resolves.toMatchObject({ commitSha: "deployed abc12345" });
    expect(loads).toBe(2);
  });

  it("closes the engine only when it was loaded", async () => {
    const closed: string[] = [];
    let loads = 0;
    const engine = deferred({}, async () => {
      loads++;
      return fakeEngine(closed);
    });
    await engine.close();
    expect(loads).toBe(0);
    await engine.cancel("abc12345");
    await engine.close();
    expect(closed).toEqual(["closed"]);
  });
});
