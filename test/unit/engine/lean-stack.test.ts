import type { EngineEvent, OutputMap, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { upWithEventOutputs } from "../../../automation/engine/lean-stack";

/**
 * A stand-in for the SDK's Stack with the contract `up` has there: the engine's events reach
 * `onEvent`, then `up` calls `this.outputs()` and `this.info()` (the CLI calls this module saves).
 */
function fakeStack(events: EngineEvent[], readBack: OutputMap) {
  const calls: string[] = [];
  const stack = {
    async outputs() {
      calls.push("stack output");
      return readBack;
    },
    async info() {
      calls.push("stack history");
      return undefined;
    },
    async up(this: Stack, options: UpOptions) {
      events.forEach((event) => options.onEvent?.(event));
      return { stdout: "", stderr: "", outputs: await this.outputs(), summary: await this.info() };
    },
  };
  return { stack: stack as unknown as Stack, calls };
}

const stackOutputs = (outputs: Record<string, unknown>): EngineEvent => ({
  sequence: 1,
  timestamp: 0,
  resOutputsEvent: {
    metadata: {
      op: "create",
      urn: "urn:pulumi:run-x::reporunner::pulumi:pulumi:Stack::reporunner-run-x",
      type: "pulumi:pulumi:Stack",
      provider: "",
      new: {
        type: "pulumi:pulumi:Stack",
        urn: "",
        custom: false,
        id: "",
        parent: "",
        provider: "",
        inputs: {},
        outputs,
      },
    },
  },
});

describe("upWithEventOutputs", () => {
  it("takes the outputs from the root stack's event and reads back nothing", async () => {
    const { stack, calls } = fakeStack(
      [stackOutputs({ namespace: "run-x", previewUrls: { web: "http://a" } })],
      {},
    );
    const seen: EngineEvent[] = [];
    const outputs = await upWithEventOutputs(stack, { onEvent: (e) => seen.push(e) });
    expect(outputs).toEqual({
      namespace: { value: "run-x", secret: false },
      previewUrls: { value: { web: "http://a" }, secret: false },
    });
    expect(calls).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it("reads the outputs back when the events hide a secret in one", async () => {
    const readBack = { token: { value: "s3cret", secret: true } };
    const { stack, calls } = fakeStack([stackOutputs({ token: { nested: ["[secret]"] } })], readBack);
    expect(await upWithEventOutputs(stack, {})).toBe(readBack);
    expect(calls).toEqual(["stack output"]);
  });

  it("reads the outputs back when no event carried them", async () => {
    const readBack = { namespace: { value: "run-x", secret: false } };
    const { stack, calls } = fakeStack([], readBack);
    expect(await upWithEventOutputs(stack, {})).toBe(readBack);
    expect(calls).toEqual(["stack output"]);
  });
});
