import type { EngineEvent } from "@pulumi/pulumi/automation";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tracedUpdate } from "../../../automation/engine/update-spans";
import { startTracing, type Tracing } from "../../../automation/tracing/tracing";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(async () => {
  tracing = await startTracing({ serviceName: "test", exporter });
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

const URN = "urn:pulumi:run-abc12345::reporunner::";
const urn = (type: string, name: string) => `${URN}reporunner:run:RepoRun$${type}::${name}`;
let sequence = 0;
const event = (e: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent =>
  ({ sequence: sequence++, timestamp: 0, ...e }) as EngineEvent;
const step = (
  kind: "resourcePreEvent" | "resOutputsEvent" | "resOpFailedEvent",
  type: string,
  name: string,
  op = "create",
  extra = {},
) => event({ [kind]: { metadata: { op, urn: urn(type, name), type, provider: "", ...extra } } } as never);
const say = (type: string, name: string, message: string) =>
  event({ diagnosticEvent: { urn: urn(type, name), message, color: "never", severity: "info" } } as never);

const COMMAND = "command:local:Command";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";

/** The spans by name; each name once unless `all`. */
function byName(spans: ReadableSpan[]) {
  const one = (name: string) => {
    const found = spans.filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0]!;
  };
  const parentOf = (span: ReadableSpan) =>
    spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
  return { one, parentOf };
}

describe("spans of a pulumi update, from its engine events", () => {
  it("puts each image's build and load, each workload's rollout and the translation under the update", async () => {
    const started = Date.now();
    await tracedUpdate(
      "pulumi up",
      () => undefined,
      async (onEvent) => {
        onEvent(step("resourcePreEvent", "pulumi:pulumi:Stack", "reporunner-run-abc12345"));
        onEvent(step("resourcePreEvent", COMMAND, "run-abc12345-image-web"));
        onEvent(say(COMMAND, "run-abc12345-image-web", "Step 1/3 : FROM busybox"));
        onEvent(say(COMMAND, "run-abc12345-image-web", "loading image reporunner/web:0123 into the cluster"));
        onEvent(step("resOutputsEvent", COMMAND, "run-abc12345-image-web"));
        onEvent(step("resourcePreEvent", COMMAND, "run-abc12345-local-image-busybox-latest-3726e854"));
        onEvent(step("resOutputsEvent", COMMAND, "run-abc12345-local-image-busybox-latest-3726e854"));
        onEvent(step("resourcePreEvent", "kubernetes:core/v1:Namespace", "run-abc12345-namespace"));
        onEvent(step("resOutputsEvent", "kubernetes:core/v1:Namespace", "run-abc12345-namespace"));
        onEvent(step("resourcePreEvent", JOB, "run-abc12345-job-migrate"));
        onEvent(step("resOutputsEvent", JOB, "run-abc12345-job-migrate"));
        onEvent(step("resourcePreEvent", DEPLOYMENT, "run-abc12345-deployment-web"));
        onEvent(step("resOutputsEvent", DEPLOYMENT, "run-abc12345-deployment-web"));
        onEvent(
          step("resOutputsEvent", "pulumi:pulumi:Stack", "reporunner-run-abc12345", "create", {
            new: { outputs: { translateTiming: { startMs: started + 1, endMs: started + 3.5 } } },
          }),
        );
      },
    );
    const spans = exporter.getFinishedSpans();
    const { one, parentOf } = byName(spans);
    const up = one("pulumi up");
    expect(up.attributes["pulumi.resource_count"]).toBe(6);
    expect(up.attributes["pulumi.resources_changed"]).toBe(6);

    const image = one("image");
    expect(image.attributes["reporunner.service"]).toBe("web");
    expect(parentOf(image)).toBe(up);
    const build = one("image build");
    const [load, pulled] = ["web", "busybox-latest-3726e854"].map((key) =>
      spans.find((s) => s.name === "image load" && Object.values(s.attributes).includes(key))!,
    );
    expect(parentOf(build)).toBe(image);
    expect(parentOf(load)).toBe(image);
    // An image the pods pull is loaded on its own, with no build.
    expect(parentOf(pulled)).toBe(up);
    // The load starts where the build ends.
    expect(load.startTime).toEqual(build.endTime);

    const rollouts = spans.filter((s) => s.name === "rollout");
    expect(rollouts.map((s) => s.attributes["reporunner.workload"]).sort()).toEqual([
      "Deployment/web",
      "Job/migrate",
    ]);
    for (const rollout of rollouts) expect(parentOf(rollout)).toBe(up);

    const translate = one("translate");
    expect(parentOf(translate)).toBe(up);
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(translate.endTime) - ms(translate.startTime)).toBeCloseTo(2.5, 3);
    // Every span is in one trace.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it("marks a cached build, and makes no span for a step that does nothing", async () => {
    await tracedUpdate(
      "pulumi up",
      () => undefined,
      async (onEvent) => {
        onEvent(step("resourcePreEvent", COMMAND, "run-abc12345-image-web"));
        onEvent(
          say(COMMAND, "run-abc12345-image-web", "image reporunner/web:0123 is built already: build skipped"),
        );
        onEvent(step("resOutputsEvent", COMMAND, "run-abc12345-image-web"));
        onEvent(step("resourcePreEvent", DEPLOYMENT, "run-abc12345-deployment-web", "same"));
        onEvent(step("resOutputsEvent", DEPLOYMENT, "run-abc12345-deployment-web", "same"));
      },
    );
    const { one } = byName(exporter.getFinishedSpans());
    expect(one("image build").attributes["reporunner.image.cached"]).toBe(true);
    expect(exporter.getFinishedSpans().filter((s) => s.name === "rollout")).toHaveLength(0);
    expect(one("pulumi up").attributes).toMatchObject({
      "pulumi.resource_count": 2,
      "pulumi.resources_changed": 1,
    });
  });

  it("fails the step that failed, and the update without quoting the CLI's message", async () => {
    const failure = tracedUpdate(
      "pulumi up",
      () => undefined,
      async (onEvent) => {
        onEvent(step("resourcePreEvent", DEPLOYMENT, "run-abc12345-deployment-web"));
        onEvent(step("resourcePreEvent", COMMAND, "run-abc12345-image-api"));
        onEvent(
          step("resOpFailedEvent", DEPLOYMENT, "run-abc12345-deployment-web", "create", {
            status: 1,
            steps: 1,
          }),
        );
        throw new Error("code: 255\n stdout: SECRET=hunter2");
      },
    );
    await expect(failure).rejects.toThrow("hunter2");
    const { one } = byName(exporter.getFinishedSpans());
    const up = one("pulumi up");
    expect(up.status).toMatchObject({ code: 2, message: "the update failed (Error)" });
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => [s.status, s.events]))).not.toContain(
      "hunter2",
    );
    expect(one("rollout").status.code).toBe(2);
    // A step still open when the update stopped ends with it, failed.
    expect(one("image").status.code).toBe(2);
    expect(one("image build").status.code).toBe(2);
  });

  it("passes every event on to the engine's own handler", async () => {
    const seen: EngineEvent[] = [];
    await tracedUpdate(
      "pulumi destroy",
      (e) => seen.push(e),
      async (onEvent) => {
        onEvent(step("resourcePreEvent", DEPLOYMENT, "run-abc12345-deployment-web", "delete"));
        onEvent(step("resOutputsEvent", DEPLOYMENT, "run-abc12345-deployment-web", "delete"));
      },
    );
    expect(seen).toHaveLength(2);
    const { one } = byName(exporter.getFinishedSpans());
    expect(one("pulumi destroy").attributes).toMatchObject({
      "pulumi.resource_count": 0,
      "pulumi.resources_changed": 1,
    });
  });
});
