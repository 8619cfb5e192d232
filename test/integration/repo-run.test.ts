import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployPhase, DeployResult, EngineListener } from "../../automation/engine/run-engine";
import { EngineFailure } from "../../automation/engine/run-engine";
import {
  bodyOf,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  objectsLabelled,
  useTestEnvironment,
  testEnvironmentEngine,
} from "./support/testenv";

/**
 * RepoRun for real: the engine clones a Git repository, the run stack's program builds its images
 * with Docker, loads them into the cluster's containerd, and deploys them in an isolated namespace;
 * the preview answers from this machine.
 */
let engine: PulumiRunEngine;
const runIds: string[] = [];
const newRunId = () => {
  const id = `it${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
  runIds.push(id);
  return id;
};

/** Records what a deploy reported, as a client of the Run API would see it. */
function recorder(): EngineListener & { phases: DeployPhase[]; lines: string[] } {
  const phases: DeployPhase[] = [];
  const lines: string[] = [];
  return { phases, lines, phase: (p) => phases.push(p), output: (l) => lines.push(l) };
}

beforeAll(() => {
  const env = useTestEnvironment();
  engine = testEnvironmentEngine(env);
});

afterAll(async () => {
  for (const id of runIds) await engine.destroy(id, recorder()).catch(() => undefined);
});

describe("a Dockerfile repository", () => {
  const repo = () => gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  let runId: string;
  let result: DeployResult;
  let firstRun: ReturnType<typeof recorder>;
  let source: ReturnType<typeof repo>;

  beforeAll(async () => {
    source = repo();
    runId = newRunId();
    firstRun = recorder();
    result = await engine.deploy(
      { runId, repoUrl: source.url, mode: "auto", env: { GREETING: "hi" } },
      firstRun,
    );
  });

  it("goes through cloning, building and deploying, pinned to the commit", () => {
    expect(firstRun.phases).toEqual(["CLONING", "BUILDING", "DEPLOYING"]);
    expect(result.commitSha).toBe(source.commitSha);
    expect(result.namespace).toBe(`run-${runId}`);
  });

  it("is READY with a preview that answers with the app's page", async () => {
    expect(Object.keys(result.previewUrls)).toEqual(["app"]);
    expect((await bodyOf(result.previewUrls.app))?.trim()).toBe("hello from reporunner");
  });

  it("runs the image built from the commit's content, in the isolated namespace", () => {
    expect(result.images.app).toMatch(/^reporunner\/app:[0-9a-f]{16}$/);
    const pod = JSON.parse(kubectl(["get", "pods", "-n", `run-${runId}`, "-o", "json"])).items[0];
    expect(pod.spec.containers[0].image).toContain(result.images.app);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it("skips the build when the same commit runs again", async () => {
    const again = recorder();
    const second = await engine.deploy(
      { runId: newRunId(), repoUrl: source.url, mode: "auto", env: {} },
      again,
    );
    expect(second.images.app).toBe(result.images.app);
    expect(again.lines.join("\n")).toContain("build skipped");
    expect((await bodyOf(second.previewUrls.app))?.trim()).toBe("hello from reporunner");
  });

  it("leaves no namespace, object or stack of the run after destroy", async () => {
    await engine.destroy(runId, recorder());
    expect(objectsLabelled(`reporunner.dev/run-id=${runId}`)).toEqual([]);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${runId}`);
    expect(await engine.listRunStacks()).not.toContain(runId);
    const images = kubectl(["get", "pods", "-A", "-o", "jsonpath={..image}"]);
    expect(images).not.toContain(runId);
  });
});

describe("a three-service compose repository", () => {
  it("is READY and web reaches api, and api reaches store, by service name", async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "three-tier"));
    const runId = newRunId();
    const result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, recorder());
    expect(Object.keys(result.images).sort()).toEqual(["api", "store", "web"]);
    const body = await bodyOf(result.previewUrls.web);
    expect(body?.trim()).toBe("web via api:5000: api via store:6000: stored value 42");
    await engine.destroy(runId, recorder());
    expect(objectsLabelled(`reporunner.dev/run-id=${runId}`)).toEqual([]);
  });
});

describe("a run that asks for more than its quota", () => {
  it("fails with the quota as its reason", async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "over-quota"));
    const runId = newRunId();
    const failure = await engine
      .deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, recorder())
      .catch((e) => e);
    expect(failure).toBeInstanceOf(EngineFailure);
    expect(failure.kind).toBe("quota");
    expect(failure.reason).toMatch(/memory/);
  });
});
