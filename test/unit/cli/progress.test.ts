import { describe, expect, it } from "vitest";
import { clean, Progress } from "../../../automation/cli/progress";

function capture(interactive: boolean) {
  let text = "";
  let now = 0;
  const progress = new Progress(
    { stdout: () => undefined, stderr: (t) => (text += t), interactive, columns: 40 },
    { now: () => now },
  );
  return { progress, text: () => text, tick: (ms: number) => (now += ms) };
}

describe("Progress", () => {
  it("prints a line per state change and indents the engine's output when stderr is not a terminal", () => {
    const { progress, text, tick } = capture(false);
    progress.event({ kind: "state", status: "CLONING" });
    progress.event({ kind: "output", line: "cloning abc" });
    tick(12_000);
    progress.event({ kind: "state", status: "FAILED", reason: "build failed" });
    expect(text()).toBe("[   0s] CLONING\n         cloning abc\n[  12s] FAILED: build failed\n");
  });

  it("redraws one status line for output on a terminal, and clears it before a state line", () => {
    const { progress, text } = capture(true);
    progress.event({ kind: "state", status: "BUILDING" });
    progress.event({ kind: "output", line: "step 1/9 a very long line that will not fit in the terminal" });
    progress.event({ kind: "state", status: "READY" });
    const out = text();
    expect(out).toContain("\r\x1b[2KBUILDING 0s │ step 1/9");
    expect(out).toContain("…");
    expect(out.endsWith("\r\x1b[2K[   0s] READY\n")).toBe(true);
  });

  it("shows nothing before the state it is told to start from (rm skips the replayed history)", () => {
    let text = "";
    const progress = new Progress(
      { stdout: () => undefined, stderr: (t) => (text += t) },
      { from: "DESTROYING" },
    );
    progress.event({ kind: "state", status: "READY" });
    progress.event({ kind: "output", line: "deploying" });
    progress.event({ kind: "state", status: "DESTROYING" });
    progress.event({ kind: "output", line: "destroying run-x" });
    expect(text).toMatch(/^\[\s+\d+s\] DESTROYING\n\s+destroying run-x\n$/);
  });
});

describe("clean", () => {
  it("drops colours, cursor moves and other control characters from untrusted output", () => {
    expect(clean("\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x1b[2J\rdone\x07\ttab")).toBe("red okdone  tab");
  });
});
