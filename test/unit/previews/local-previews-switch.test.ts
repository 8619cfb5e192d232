import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../automation/config";

describe("REPORUNNER_LOCAL_PREVIEWS", () => {
  it("is on unless turned off", () => {
    expect(loadConfig({}).localPreviews).toBe(true);
    expect(loadConfig({ REPORUNNER_LOCAL_PREVIEWS: "false" }).localPreviews).toBe(false);
    expect(loadConfig({ REPORUNNER_LOCAL_PREVIEWS: "0" }).localPreviews).toBe(false);
  });

  it("names itself when its value is not a boolean", () => {
    expect(() => loadConfig({ REPORUNNER_LOCAL_PREVIEWS: "maybe" })).toThrow(/REPORUNNER_LOCAL_PREVIEWS/);
  });
});
