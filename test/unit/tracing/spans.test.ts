import { Writable } from "node:stream";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runView } from "../../../automation/api/run-view";
import { readySummary, reportRun } from "../../../automation/cli/commands/follow";
import type { CliIO } from "../../../automation/cli/io";
import { createLogger } from "../../../automation/logs";
import type { StoredRun } from "../../../automation/runs/store";
import { contextOf, inSpan, linkTo, traceIdOf, traceparentOf } from "../../../automation/tracing/spans";
import { startTracing, type Tracing } from "../../../automation/tracing/tracing";

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(async () => {
  tracing = await startTracing({ serviceName: "test", exporter });
});
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

describe("a run's trace across the queue", () => {
  it("continues in the worker from the traceparent the API stored", async () => {
    // The API: the run's root span, its traceparent stored with the record.
    const stored = await inSpan("run", {}, async (span) => traceparentOf(span), { parent: "root" });
    expect(stored).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The worker, with nothing but the stored string.
    await inSpan("deploy", {}, () => inSpan("clone", {}, async () => undefined), {
      parent: contextOf(stored),
    });
    const spans = exporter.getFinishedSpans();
    const [clone, deploy, run] = ["clone", "deploy", "run"].map((n) => spans.find((s) => s.name === n)!);
    expect(run.parentSpanContext).toBeUndefined();
    expect(deploy.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(clone.parentSpanContext?.spanId).toBe(deploy.spanContext().spanId);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceIdOf(stored)]));
  });

  it("links a destroy's own trace to the run's", async () => {
    const stored = await inSpan("run", {}, async (span) => traceparentOf(span), { parent: "root" });
    await inSpan("destroy", {}, async () => undefined, { parent: "root", links: linkTo(stored) });
    const destroy = exporter.getFinishedSpans().find((s) => s.name === "destroy")!;
    expect(destroy.parentSpanContext).toBeUndefined();
    expect(destroy.spanContext().traceId).not.toBe(traceIdOf(stored));
    expect(destroy.links.map((l) => l.context.traceId)).toEqual([traceIdOf(stored)]);
  });

  it("starts a new trace when the record has no traceparent, or a malformed one", () => {
    expect(contextOf(undefined)).toBeUndefined();
    expect(contextOf("00-00000000000000000000000000000000-0000000000000000-01")).toBeUndefined();
    expect(contextOf("not a traceparent")).toBeUndefined();
    expect(linkTo(null)).toEqual([]);
  });

  it("fails a span whose work throws, and rethrows", async () => {
    await expect(
      inSpan("clone", {}, async () => {
        throw new Error("repository not found");
      }),
    ).rejects.toThrow("repository not found");
    const [clone] = exporter.getFinishedSpans();
    expect(clone.status).toEqual({ code: 2, message: "repository not found" });
  });
});

describe("trace context in the logs", () => {
  it("puts trace_id and span_id on lines written inside a span, and on no other", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger("info", sink, true).child({ runId: "abc12345" });
    log.info("before");
    const ids = await inSpan("deploy", {}, async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      log.info("inside, after an await");
      return span.spanContext();
    });
    log.info("after");
    expect(lines.map((l) => [l.msg, l.trace_id, l.span_id])).toEqual([
      ["before", undefined, undefined],
      ["inside, after an await", ids.traceId, ids.spanId],
      ["after", undefined, undefined],
    ]);
  });
});

describe("GET /runs/:id", () => {
  const run = (traceparent?: string) =>
    ({
      _id: "abc12345",
      status: "READY",
      env: {},
      phases: {},
      history: [],
      createdAt: new Date(0),
      updatedAt: new Date(0),
      expiresAt: new Date(0),
      traceparent,
    }) as unknown as StoredRun;
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  it("gives the trace id, and the trace's page in the Jaeger UI when one is configured", () => {
    expect(runView(run(traceparent), "http://localhost:30082")).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      traceUrl: "http://localhost:30082/trace/0af7651916cd43dd8448eb211c80319c",
    });
    expect(runView(run(traceparent))).toMatchObject({ traceUrl: null });
    expect(runView(run(), "http://localhost:30082")).toMatchObject({ traceId: null, traceUrl: null });
  });
});

describe("reporunner run", () => {
  const ready = {
    id: "abc12345",
    status: "READY" as const,
    repoUrl: "https://example.com/app.git",
    ref: null,
    reason: null,
    commitSha: "0123456789",
    previewUrls: { web: "http://localhost:30080/run-abc12345/web/" },
    createdAt: new Date(0).toISOString(),
  };

  it("prints the trace id and its Jaeger URL with a READY run's previews", () => {
    const summary = readySummary({
      ...ready,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      traceUrl: "http://localhost:30082/trace/0af7651916cd43dd8448eb211c80319c",
    });
    expect(summary).toContain(
      "  trace   0af7651916cd43dd8448eb211c80319c  http://localhost:30082/trace/0af7651916cd43dd8448eb211c80319c\n",
    );
  });

  it("prints the trace of a failed run after its reason, and no trace line when there is none", () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (s: string) => void err.push(s) } as unknown as CliIO;
    const failed = {
      ...ready,
      status: "FAILED" as const,
      reason: "the build failed",
      traceId: "0af7651916cd43dd8448eb211c80319c",
    };
    reportRun(failed, io, { json: false, command: "run" });
    expect(err.join("")).toBe(
      "reporunner run: run abc12345 FAILED: the build failed\n  trace   0af7651916cd43dd8448eb211c80319c\n",
    );
    expect(readySummary(ready)).not.toContain("trace");
  });
});
