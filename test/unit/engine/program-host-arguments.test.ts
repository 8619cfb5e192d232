import { describe, expect, it } from "vitest";
import { programHostArguments } from "../../../automation/engine/pulumi-command";

describe("programHostArguments", () => {
  it("connects up to the host as an inline program", () => {
    expect(
      programHostArguments(
        ["up", "--yes", "--exec-kind", "auto.local", "--stack", "run-a"],
        "127.0.0.1:4100",
      ),
    ).toEqual(["up", "--yes", "--exec-kind", "auto.inline", "--stack", "run-a", "--client=127.0.0.1:4100"]);
  });

  it("connects destroy to the host too (for the program's plugins)", () => {
    expect(programHostArguments(["destroy", "--yes", "--exec-kind", "auto.local"], "127.0.0.1:4100")).toEqual(
      ["destroy", "--yes", "--exec-kind", "auto.inline", "--client=127.0.0.1:4100"],
    );
  });

  it("leaves every other command as it is", () => {
    expect(programHostArguments(["stack", "init", "run-a"], "127.0.0.1:4100")).toEqual([
      "stack",
      "init",
      "run-a",
    ]);
    expect(programHostArguments(["config", "set-all", "--path"], "127.0.0.1:4100")).toEqual([
      "config",
      "set-all",
      "--path",
    ]);
  });
});
