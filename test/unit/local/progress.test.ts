import { describe, expect, it } from "vitest";
import { createProgress, lineSplitter } from "../../../automation/local/progress";

describe("up's progress", () => {
  it("numbers the steps, indents tools' output and drops Pulumi's heartbeat lines", () => {
    let text = "";
    const progress = createProgress(2, (t) => (text += t));
    progress.step("cluster");
    progress.detail("kube-apiserver: starting");
    progress.detail("      .");
    progress.detail("@ updating....");
    progress.detail("");
    progress.step("platform");
    expect(text).toMatch(
      /^\[1\/2\] cluster\n {6}kube-apiserver: starting\n {6}done in \d+s\n\[2\/2\] platform\n$/,
    );
  });

  it("splits streamed chunks into whole lines", () => {
    const lines: string[] = [];
    const split = lineSplitter((l) => lines.push(l));
    split.push("a\nb");
    split.push("c\r\nd");
    split.end();
    expect(lines).toEqual(["a", "bc", "d"]);
  });
});
