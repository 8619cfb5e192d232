import { describe, expect, it } from "vitest";
import { holdsConfig } from "../../../automation/local/platform-stack";

describe("the platform stack's config, compared with its settings file", () => {
  const config = {
    "reporunner:stack": { value: "platform" },
    "reporunner:cluster": { value: '{"provider":"existing"}' },
  };

  it("holds a config whose every value the file has already", () => {
    const stored = { "reporunner:stack": "platform", "reporunner:cluster": '{"provider":"existing"}' };
    expect(holdsConfig(stored, config)).toBe(true);
    // Keys the file has besides are left as they are, as `config set-all` leaves them.
    expect(holdsConfig({ ...stored, "reporunner:profile": "dev" }, config)).toBe(true);
  });

  it("does not hold a changed value, a missing key or an empty file", () => {
    expect(holdsConfig({ "reporunner:stack": "platform", "reporunner:cluster": "{}" }, config)).toBe(false);
    expect(holdsConfig({ "reporunner:stack": "platform" }, config)).toBe(false);
    expect(holdsConfig({}, config)).toBe(false);
  });

  it("reads a number or a boolean the YAML file has unquoted as the text it was set from", () => {
    const typed = { "reporunner:workers": { value: "2" }, "reporunner:debug": { value: "true" } };
    expect(holdsConfig({ "reporunner:workers": 2, "reporunner:debug": true }, typed)).toBe(true);
    expect(holdsConfig({ "reporunner:workers": 3, "reporunner:debug": true }, typed)).toBe(false);
  });

  it("never holds a secret (the file has it encrypted) or a structured value", () => {
    const secret = { "reporunner:token": { value: "s3cret", secret: true } };
    expect(holdsConfig({ "reporunner:token": "s3cret" }, secret)).toBe(false);
    expect(holdsConfig({ "reporunner:token": { secure: "v1:abc" } }, secret)).toBe(false);
    const object = { "reporunner:cluster": { value: "[object Object]" } };
    expect(holdsConfig({ "reporunner:cluster": { provider: "kind" } }, object)).toBe(false);
  });
});
