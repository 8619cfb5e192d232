import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { tracedUpdate } from "../../../automation/engine/update-spans";
import { createLogger } from "../../../automation/logs";
import { inSpan, traceparentOf } from "../../../automation/tracing/spans";
import { startTracing } from "../../../automation/tracing/tracing";

describe("tracing off (no REPORUNNER_OTLP_ENDPOINT)", () => {
  it("records nothing: no traceparent to store, no ids on log lines", async () => {
    const tracing = await startTracing({ serviceName: "test" });
    expect(tracing.enabled).toBe(false);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger("info", sink, tracing.enabled);
    const stored = await inSpan(
      "run",
      {},
      async (span) => {
        log.info("inside");
        return traceparentOf(span);
      },
      { parent: "root" },
    );
    expect(stored).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("trace_id");
  });
});

describe("the cost of tracing off", () => {
  it("loads no OpenTelemetry module at all: not the SDK, not even the API", () => {
    const script = `
      require("./automation/runs/service");
      require("./automation/workers/run-job");
      require("./automation/engine/update-spans");
      require("./automation/api/run-view");
      require("./automation/logs").createLogger("info", undefined, false);
      require("./automation/tracing/tracing").startTracing({ serviceName: "off" }).then((t) => {
        const loaded = Object.keys(require.cache).filter((m) => m.includes("@opentelemetry"));
        process.stdout.write(JSON.stringify({ enabled: t.enabled, loaded }));
      });`;
    const child = spawnSync(process.execPath, ["-r", "tsx/cjs", "-e", script], {
      cwd: path.resolve(__dirname, "../../.."),
      encoding: "utf8",
    });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({ enabled: false, loaded: [] });
  });
});

describe("an update with tracing off", () => {
  it("passes the engine's events through untouched", async () => {
    const seen: unknown[] = [];
    const event = { sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { op: "create" } } };
    const result = await tracedUpdate(
      "pulumi up",
      (e) => seen.push(e),
      async (onEvent) => {
        onEvent(event as never);
        return "done";
      },
    );
    expect(result).toBe("done");
    expect(seen).toEqual([event]);
  });
});
