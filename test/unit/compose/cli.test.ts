import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { main } from "../../../automation/cli/main";
import { fixture } from "./fixtures";

async function run(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "reporunner", ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

describe("reporunner translate", () => {
  it("shows the warnings of the same pass beside a refusal, so one round of edits fixes both", async () => {
    const { code, stderr } = await run("translate", fixture("refused-with-warnings"));
    expect(code).not.toBe(0);
    expect(stderr).toContain("warning: services.app.stop_signal: ignored:");
    expect(stderr).toContain("compose.yaml: services.app.privileged: privileged mode");
  });

  it("says in words that a directory does not exist, not with the file system's error", async () => {
    const { code, stderr } = await run("translate", "/nonexistent-reporunner-dir");
    expect(code).not.toBe(0);
    expect(stderr).toContain("/nonexistent-reporunner-dir: does not exist: give the repository's directory");
    expect(stderr).not.toMatch(/ENOENT|lstat/);
  });

  it("prints the manifests as multi-document YAML and the warnings on stderr", async () => {
    const { code, stdout, stderr } = await run("translate", fixture("depends-on"), "--run-id", "cli12345");
    expect(code).toBe(0);
    const documents = parseAllDocuments(stdout).map((document) => document.toJS());
    expect(documents.map((document) => `${document.kind}/${document.metadata.name}`)).toContain(
      "Deployment/web",
    );
    expect(documents.every((document) => document.metadata.namespace === "run-cli12345")).toBe(true);
    expect(stderr).toContain("warning: services.migrate: runs once as a Job");
    expect(stderr).toContain("build: web: context ., Dockerfile → reporunner.local/cli12345/web:latest");
    expect(stderr).toContain("pod security: baseline, not restricted:");
  });

  it("prints one JSON object with manifests, warnings and images when asked for --json", async () => {
    const { code, stdout } = await run(
      "translate",
      fixture("profiles"),
      "--json",
      "--profile",
      "debug",
      "--profile",
      "tools",
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(["manifests", "warnings", "images", "podSecurity", "published"]);
    expect(result.manifests.filter((item: { kind: string }) => item.kind === "Deployment")).toHaveLength(3);
    expect(result.images).toEqual([]);
  });

  it("passes --env variables to interpolation", async () => {
    const { code, stdout } = await run(
      "translate",
      fixture("interpolation-required"),
      "--json",
      "--env",
      "APP_TAG=2.0",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout).manifests[0].spec.template.spec.containers[0].image).toBe("example/app:2.0");
  });

  it("exits non-zero with the refusals on stderr and nothing on stdout", async () => {
    const { code, stdout, stderr } = await run("translate", fixture("hostile-privileged"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      "services.app.privileged: privileged mode gives the container the host's devices and kernel: remove privileged: true",
    );
  });

  it("exits with a usage error for an unknown option or a bad --env", async () => {
    expect((await run("translate", fixture("basic-image"), "--nope")).code).toBe(2);
    expect((await run("translate", fixture("basic-image"), "--env", "NOEQUALS")).code).toBe(2);
  });
});
