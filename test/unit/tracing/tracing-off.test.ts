import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../automation/logs";
import { inSpan, ROOT_CONTEXT, traceparentOf } from "../../../automation/tracing/spans";
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
      { parent: ROOT_CONTEXT },
    );
    expect(stored).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("trace_id");
  });
});
