import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readInstance } from "../../automation/local/home";
import {
  newHome,
  newUserEnvironment,
  npmRunDown,
  npmStart,
  pressCtrlC,
  reporunnerCli,
  type StartedInstance,
} from "./support/local-instance";
import { bodyOf, FIXTURES, gitRepositoryFrom, kubectl, useTestEnvironment } from "./support/testenv";

/**
 * The life of a local instance beyond the first screen: Ctrl-C stops the API and its workers but
 * leaves the runs; `npm start` again finds them; `npm run down` destroys a run it finds READY and
 * stops the API that serves it.
 */
const home = newHome();
const env = newUserEnvironment(home);
let first: StartedInstance;
let second: StartedInstance | undefined;
let runId: string;
let previewUrl: string;

beforeAll(async () => {
  useTestEnvironment();
  first = await npmStart(env);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  const result = reporunnerCli(env, ["run", repo.dir, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  const run = JSON.parse(result.stdout) as { id: string; previewUrls: { app: string } };
  runId = run.id;
  previewUrl = run.previewUrls.app;
});

afterAll(() => {
  if (second?.process.exitCode === null || first?.process.exitCode === null) npmRunDown(env);
  fs.rmSync(home, { recursive: true, force: true });
});

describe("a local instance across Ctrl-C, a restart and down", () => {
  it("stops the API and its workers on Ctrl-C, leaving the run and the platform up", async () => {
    pressCtrlC(first);
    // npm re-raises the SIGINT on itself once its child has stopped: no exit code, not a failure.
    expect([0, null]).toContain(await first.exited);
    expect(first.output()).toContain("stopping the Run API and its workers");
    expect(readInstance(path.join(home, ".reporunner"))?.pid).toBeUndefined();
    expect(reporunnerCli(env, ["status"]).code).toBe(3);
    expect((await bodyOf(previewUrl))?.trim()).toBe("hello from reporunner");
  });

  it("finds the run again after `npm start`", async () => {
    second = await npmStart(env);
    const run = JSON.parse(reporunnerCli(env, ["ls", "--json"]).stdout) as { id: string; status: string }[];
    expect(run).toEqual([expect.objectContaining({ id: runId, status: "READY" })]);
  });

  it("destroys the READY run and stops the running API on `npm run down`", async () => {
    const output = npmRunDown(env);
    expect(output).toContain(`destroying run ${runId} (was READY)`);
    expect(await second!.exited).toBe(0);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${runId}`);
    expect(fs.existsSync(path.join(home, ".reporunner"))).toBe(false);
  });
});
