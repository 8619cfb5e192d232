import { describe, expect, it } from "vitest";
import { canTransition, RUN_STATES } from "../../../automation/runs/states";
import { newRunId, RUN_ID } from "../../../automation/runs/ids";

describe("run states", () => {
  it("allows the happy path and the destroy path", () => {
    const path = ["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY", "DESTROYING", "DESTROYED"] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it("never leaves DESTROYED or EXPIRED", () => {
    for (const to of RUN_STATES) {
      expect(canTransition("DESTROYED", to)).toBe(false);
      expect(canTransition("EXPIRED", to)).toBe(false);
    }
  });

  it("refuses shortcuts: QUEUED → READY, READY → BUILDING, FAILED → READY", () => {
    expect(canTransition("QUEUED", "READY")).toBe(false);
    expect(canTransition("READY", "BUILDING")).toBe(false);
    expect(canTransition("FAILED", "READY")).toBe(false);
    expect(canTransition("QUEUED", "EXPIRED")).toBe(false);
  });

  it("lets a resumed job go back to CLONING and a TTL destroy end EXPIRED", () => {
    expect(canTransition("DEPLOYING", "CLONING")).toBe(true);
    expect(canTransition("DESTROYING", "EXPIRED")).toBe(true);
  });
});

describe("run ids", () => {
  it("are DNS-safe and 8 to 12 characters", () => {
    for (let i = 0; i < 200; i++) expect(newRunId()).toMatch(RUN_ID);
  });
});
