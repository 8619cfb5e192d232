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

  it("leaves every other command as it is", () => {
    const args = ["destroy", "--yes", "--exec-kind", "auto.local"];
    expect(programHostArguments(args, "127.0.0.1:4100")).toEqual(args);
    expect(programHostArguments(["config", "set-all", "--path"], "127.0.0.1:4100")).toEqual([
      "config",
      "set-all",
      "--path",
    ]);
  });
});
