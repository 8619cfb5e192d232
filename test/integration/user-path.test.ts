import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../automation/engine/run-engine";
import { EngineFailure } from "../../automation/engine/run-engine";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  objectsLabelled,
  testEnvironmentEngine,
  useTestEnvironment,
} from "./support/testenv";

/**
 * What a new user meets first, through the real engine: the simplest root image on port 80 starts,
 * and a run that cannot start says why in the words `translate` and `kubectl logs` would use.
 */
let engine: PulumiRunEngine;
const runIds: string[] = [];
const newRunId = () => {
  const id = `up${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
  runIds.push(id);
  return id;
};
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };

/** Deploys a fixture repository and returns the EngineFailure it ends in; fails when it is READY. */
async function failureOf(fixture: string): Promise<EngineFailure> {
  const source = gitRepositoryFrom(path.join(FIXTURES, "repos", fixture));
  const failure = await engine
    .deploy({ runId: newRunId(), repoUrl: source.url, mode: "auto", env: {} }, quiet)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(failure).toBeInstanceOf(EngineFailure);
  return failure as EngineFailure;
}

beforeAll(() => {
  engine = testEnvironmentEngine(useTestEnvironment());
});

afterAll(async () => {
  for (const id of runIds) await engine.destroy(id, quiet).catch(() => undefined);
});

describe("a root image serving port 80 that chowns its files and switches user (FROM busybox, httpd -u)", () => {
  let runId: string;
  let result: DeployResult;

  beforeAll(async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "root-httpd-80"));
    runId = newRunId();
    result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
  });

  it("is READY, and its preview serves the page only the switched-to user can read", async () => {
    expect(Object.keys(result.previewUrls)).toEqual(["app"]);
    expect((await bodyOf(result.previewUrls.app))?.trim()).toBe("hello from port 80");
  });

  it("runs under Pod Security baseline with Docker's capabilities but NET_RAW, and says so", () => {
    const namespace = JSON.parse(kubectl(["get", "namespace", `run-${runId}`, "-o", "json"]));
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
    const pod = JSON.parse(kubectl(["get", "pods", "-n", `run-${runId}`, "-o", "json"])).items[0];
    const capabilities = pod.spec.containers[0].securityContext.capabilities;
    expect(capabilities.add).toEqual(
      expect.arrayContaining(["NET_BIND_SERVICE", "CHOWN", "SETUID", "SETGID"]),
    );
    expect(capabilities.add).not.toContain("NET_RAW");
    expect(result.warnings.join("\n")).toContain("keep Docker's default capabilities except NET_RAW");
  });

  it("leaves nothing behind after destroy", async () => {
    await engine.destroy(runId, quiet);
    expect(objectsLabelled(`reporunner.dev/run-id=${runId}`)).toEqual([]);
  });
});

describe("a published port that is not HTTP, on a server that never closes an idle connection (like Redis)", () => {
  it("is READY: web's wait for the store ends, the store is a TCP preview that accepts a connection, web's page answers", async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "tcp-preview"));
    const runId = newRunId();
    const result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
    expect(Object.keys(result.previewUrls).sort()).toEqual(["store", "web"]);
    // The store is no page: its URL is tcp://, and it accepts a connection there.
    expect(result.previewUrls.store).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect((await bodyOf(result.previewUrls.web))?.trim()).toBe("web beside a tcp store");
    await engine.destroy(runId, quiet);
  });
});

describe("an anonymous volume over a directory of the image (like /app/node_modules)", () => {
  it("starts with the image's files, which the running app serves from it", async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "seeded-volume"));
    const runId = newRunId();
    const result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
    expect((await bodyOf(result.previewUrls.web))?.trim()).toBe(
      "from the image, through an anonymous volume",
    );
    const pod = JSON.parse(kubectl(["get", "pods", "-n", `run-${runId}`, "-o", "json"])).items[0];
    const mounted = pod.spec.volumes.find((volume: { emptyDir?: object }) => volume.emptyDir);
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({
      name: mounted.name,
      mountPath: "/app/site",
    });
    await engine.destroy(runId, quiet);
  });
});

describe("a FAILED run keeps its objects for inspection but runs nothing; a redeploy runs it again", () => {
  it("stops the crash loop once its cause is read, and gives the workload back on redeploy", async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "broken-by-env"));
    const runId = newRunId();
    const namespace = `run-${runId}`;
    const lines: string[] = [];
    const failure = await engine
      .deploy(
        { runId, repoUrl: source.url, mode: "auto", env: { MODE: "broken" } },
        { ...quiet, output: (line) => lines.push(line) },
      )
      .then(
        () => undefined,
        (error: unknown) => error as EngineFailure,
      );
    expect(failure?.reason).toMatch(/a container keeps crashing[^]*crashing on purpose/);
    expect(lines.join("\n")).toContain("stopped after the failure, kept for inspection: Deployment/web");
    // Nothing restarts: the Deployment is at 0 and its pod goes; the objects stay.
    const pods = () => JSON.parse(kubectl(["get", "pods", "-n", namespace, "-o", "json"])).items;
    await eventually("the failed run's pod to go", () => (pods().length === 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(pods()).toEqual([]);
    const deployment = JSON.parse(kubectl(["get", "deployment", "web", "-n", namespace, "-o", "json"]));
    expect(deployment.spec.replicas).toBe(0);
    expect(deployment.metadata.annotations["reporunner.dev/stopped-after-failure"]).toBe("1");
    expect(kubectl(["get", "service", "-n", namespace, "-o", "name"])).toContain("service/web");
    // Another value changes only the Secret: the engine, not the stack, gives the replica back.
    const result = await engine.deploy(
      { runId, repoUrl: source.url, mode: "auto", env: { MODE: "fixed" } },
      quiet,
    );
    expect((await bodyOf(result.previewUrls.web))?.trim()).toBe("serving in mode fixed");
    const resumed = JSON.parse(
      kubectl(["get", "deployment", "web", "-n", namespace, "-o", "json", "--show-managed-fields"]),
    );
    expect(resumed.metadata.annotations?.["reporunner.dev/stopped-after-failure"]).toBeUndefined();
    // The stop's field manager let go of the replica count: a later change of it meets no conflict.
    expect(resumed.metadata.managedFields.map((entry: { manager: string }) => entry.manager)).not.toContain(
      "reporunner-failed-run",
    );
    await engine.destroy(runId, quiet);
  });
});

describe("a run that cannot start says why", () => {
  it("a crash-looping container: the reason carries its last log line, the bind error", async () => {
    const failure = await failureOf("crash-on-bind");
    expect(failure.kind).toBe("deploy");
    expect(failure.reason).toMatch(/a container keeps crashing: container "web"/);
    expect(failure.reason).toMatch(/its last log lines:\n.*bind.*Permission denied/);
  });

  it("a refused compose file: the reason names the refused key and what to change, without engine class names", async () => {
    const failure = await failureOf("refused-privileged");
    expect(failure.kind).toBe("source");
    expect(failure.reason).toContain("the compose file asks for something a run cannot allow");
    expect(failure.reason).toContain("compose.yaml: services.app.privileged: privileged mode");
    expect(failure.reason).toMatch(
      /warnings found in the same pass:\n {2}- services\.app\.stop_signal: ignored: Kubernetes stops/,
    );
    expect(failure.reason).not.toMatch(/ResourceError|Error:|\n\s+at /);
  });

  it("invalid YAML: the reason gives the line and column", async () => {
    const failure = await failureOf("invalid-yaml");
    expect(failure.kind).toBe("source");
    expect(failure.reason).toContain("compose.yaml is not valid YAML");
    expect(failure.reason).toContain(
      "compose.yaml:4:12: Nested mappings are not allowed in compact mappings",
    );
    expect(failure.reason).not.toMatch(/ResourceError/);
  });
});
