import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../../../components/run/compose/env-file";
import { interpolateString } from "../../../components/run/compose/interpolate";
import { Findings } from "../../../components/run/compose/issues";
import { isDnsLabel, toDnsLabel } from "../../../components/run/compose/names";
import { splitShellWords } from "../../../components/run/compose/shell-words";
import {
  bytesToQuantity,
  cpusToQuantity,
  parseBytes,
  parseDurationSeconds,
} from "../../../components/run/compose/units";
import { toComposePath } from "../../../components/run/compose/validate";

describe("compose scalar formats", () => {
  it("reads Go-style durations into seconds", () => {
    expect(parseDurationSeconds("1m30s")).toBe(90);
    expect(parseDurationSeconds("500ms")).toBe(0.5);
    expect(parseDurationSeconds("1h")).toBe(3600);
    expect(parseDurationSeconds("2.5s")).toBe(2.5);
    expect(parseDurationSeconds("0")).toBe(0);
    expect(parseDurationSeconds("ten seconds")).toBeUndefined();
  });

  it("reads Docker byte sizes in binary units and writes the largest exact Kubernetes unit", () => {
    expect(parseBytes("512m")).toBe(512 * 1024 ** 2);
    expect(parseBytes("1GB")).toBe(1024 ** 3);
    expect(parseBytes(2048)).toBe(2048);
    expect(parseBytes("lots")).toBeUndefined();
    expect(bytesToQuantity(1024 ** 3)).toBe("1Gi");
    expect(bytesToQuantity(1536 * 1024)).toBe("1536Ki");
    expect(bytesToQuantity(1000)).toBe("1000");
  });

  it("writes Docker cpus as Kubernetes CPU quantities", () => {
    expect(cpusToQuantity("0.5")).toBe("500m");
    expect(cpusToQuantity(2)).toBe("2");
    expect(cpusToQuantity("0")).toBeUndefined();
  });

  it("splits command strings into words like a shell, without expanding anything", () => {
    expect(splitShellWords(`sh -c 'echo "$HOME" && ls'`)).toEqual(["sh", "-c", 'echo "$HOME" && ls']);
    expect(splitShellWords(`echo "a \\"b\\" c" d\\ e ""`)).toEqual(["echo", 'a "b" c', "d e", ""]);
    expect(() => splitShellWords(`echo "open`)).toThrow(/unterminated/);
  });

  it("reads env files with comments, export, quotes and bare keys", () => {
    const entries = parseEnvFile(
      `# comment\nexport A=1\nB="two\\nlines"\nC='$literal'\nD=value # note\nE\n\nF=\n`,
    );
    expect([...entries]).toEqual([
      ["A", "1"],
      ["B", "two\nlines"],
      ["C", "$literal"],
      ["D", "value"],
      ["E", null],
      ["F", ""],
    ]);
    expect(() => parseEnvFile("not a pair")).toThrow(/line 1/);
  });

  it("interpolates every compose form and records unset and required variables", () => {
    const findings = new Findings();
    const variables: Record<string, string> = { SET: "x", EMPTY: "" };
    const lookup = (name: string) => variables[name];
    const run = (text: string) => interpolateString(text, lookup, findings, "p");
    expect(run("${SET}-$SET-$$SET")).toBe("x-x-$SET");
    expect(run("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}")).toBe("d||d");
    expect(run("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}")).toBe("alt||alt");
    expect(run("${UNSET:-${SET}}")).toBe("x");
    expect(findings.warnings).toEqual([]);
    expect(run("a${UNSET}b")).toBe("ab");
    expect(findings.warnings).toEqual([
      { path: "p", message: "variable UNSET is not set; an empty string is used, as compose does" },
    ]);
    run("${UNSET:?needed}");
    expect(findings.refusals[0]!.message).toContain("required variable UNSET is not set (needed)");
  });

  it("turns compose names into DNS labels", () => {
    expect(toDnsLabel("My_App.v2")).toBe("my-app-v2");
    expect(toDnsLabel("1st")).toBe("s-1st");
    expect(isDnsLabel("web")).toBe(true);
    expect(isDnsLabel("api_gateway")).toBe(false);
  });

  it("writes JSON pointers as compose paths", () => {
    expect(toComposePath("/services/web/ports/0")).toBe("services.web.ports[0]");
    expect(toComposePath("")).toBe("");
  });
});
