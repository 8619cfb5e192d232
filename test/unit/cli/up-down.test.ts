import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { writeInstance } from "../../../automation/local/home";
import { reporunner } from "../../support/cli-io";

/** `up` and `down` without a cluster: the answers that come before any work. */
const home = () => fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-home-"));

describe("reporunner up / down", () => {
  it("refuses an unknown cluster or port in one line, exit 2", async () => {
    for (const args of [
      ["up", "--cluster", "minikube"],
      ["up", "--port", "http"],
    ]) {
      const result = await reporunner(args, { env: { REPORUNNER_HOME: home() } });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.errLines).toHaveLength(1);
      expect(result.errLines[0]).toMatch(/^reporunner up: .*(minikube|--port http)/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("does not start a second instance beside a running one, exit 1", async () => {
    const dir = home();
    writeInstance(dir, {
      url: "http://127.0.0.1:8080",
      pid: process.ppid,
      startedAt: new Date().toISOString(),
      cluster: { provider: "builtin", createdByUp: false },
    });
    const result = await reporunner(["up"], { env: { REPORUNNER_HOME: dir } });
    expect(result.code).toBe(1);
    expect(result.errLines).toEqual([
      `reporunner up: already running (pid ${process.ppid}) at http://127.0.0.1:8080`,
    ]);
  });

  it("down with nothing brought up says so and removes nothing else, exit 0", async () => {
    const dir = path.join(home(), "never-created");
    const result = await reporunner(["down"], { env: { REPORUNNER_HOME: dir } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `nothing to remove: no RepoRunner was brought up with this home (${dir})`,
    );
  });

  it("lists up and down with examples in --help", async () => {
    const result = await reporunner(["--help"]);
    expect(result.stdout).toMatch(/up \[options\]\s+bring RepoRunner up/);
    expect(result.stdout).toMatch(/down \[options\]\s+remove every run/);
    const up = await reporunner(["up", "--help"]);
    expect(up.stdout).toContain("npm start");
    expect(up.stdout).toContain("--cluster <kind>");
  });
});
