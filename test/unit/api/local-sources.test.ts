import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createRunSchema } from "../../../automation/api/schemas";
import { loadConfig } from "../../../automation/config";
import { checkRepoUrl, type UrlPolicyOptions } from "../../../automation/runs/url-policy";

const strict: UrlPolicyOptions = { allowHttp: false, allowedHosts: [], allowPrivateTargets: false };
const local: UrlPolicyOptions = { ...strict, allowLocalSources: true };
const noDns = async () => {
  throw new Error("a local source must not be resolved");
};

/** A directory with a `.git` directory in it, as `git init` leaves it. */
function workingTree(name = "my app"): string {
  const dir = join(mkdtempSync(join(tmpdir(), "reporunner-policy-")), name);
  mkdirSync(join(dir, ".git"), { recursive: true });
  return dir;
}

async function refusal(raw: string, options: UrlPolicyOptions) {
  try {
    await checkRepoUrl(raw, options, noDns);
  } catch (err: any) {
    return { status: err.status, code: err.code, field: err.field, message: err.message };
  }
  return undefined;
}

describe("REPORUNNER_ALLOW_LOCAL_SOURCES", () => {
  it("is off by default and read as a boolean", () => {
    expect(loadConfig({}).urlPolicy.allowLocalSources).toBe(false);
    expect(loadConfig({ REPORUNNER_ALLOW_LOCAL_SOURCES: "true" }).urlPolicy.allowLocalSources).toBe(true);
    expect(() => loadConfig({ REPORUNNER_ALLOW_LOCAL_SOURCES: "sometimes" })).toThrow(
      /REPORUNNER_ALLOW_LOCAL_SOURCES/,
    );
  });
});

describe("checkRepoUrl with a local path", () => {
  it("refuses a local path with 400 naming repoUrl and the variable when local sources are off", async () => {
    const dir = workingTree();
    for (const raw of [dir, pathToFileURL(dir).href, "file:///etc/passwd", "/etc"]) {
      expect(await refusal(raw, strict)).toEqual({
        status: 400,
        code: "local_sources_disabled",
        field: "repoUrl",
        message: expect.stringContaining("REPORUNNER_ALLOW_LOCAL_SOURCES=true"),
      });
    }
  });

  it("accepts the absolute path or file:// URL of a working tree when on, as a normalised path", async () => {
    const dir = workingTree();
    await expect(checkRepoUrl(dir, local, noDns)).resolves.toBe(dir);
    await expect(checkRepoUrl(`${dir}/./sub/..`, local, noDns)).resolves.toBe(dir);
    await expect(checkRepoUrl(pathToFileURL(dir).href, local, noDns)).resolves.toBe(dir);
  });

  it("refuses, naming repoUrl, a path that is missing or has no .git", async () => {
    const dir = workingTree();
    expect(await refusal(join(dir, "missing"), local)).toMatchObject({
      status: 422,
      code: "local_source_not_found",
      field: "repoUrl",
    });
    const plain = mkdtempSync(join(tmpdir(), "reporunner-plain-"));
    expect(await refusal(plain, local)).toMatchObject({
      status: 422,
      code: "not_a_repository",
      field: "repoUrl",
      message: `repoUrl ${plain} is not a git working tree (it has no .git)`,
    });
    expect(await refusal("file://otherhost/srv/repo", local)).toMatchObject({
      status: 422,
      field: "repoUrl",
    });
  });

  it("keeps refusing relative paths and remote URLs that break the policy", async () => {
    expect(await refusal("./repo", local)).toMatchObject({ status: 422, field: "repoUrl" });
    expect(await refusal("http://github.com/o/r", local)).toMatchObject({ code: "invalid_repo_url" });
  });
});

describe("createRunSchema and local paths", () => {
  it("lets a path with spaces and a file:/// URL through to the policy, but no white space in URLs", () => {
    expect(createRunSchema.safeParse({ repoUrl: "/home/me/My Projects/app" }).success).toBe(true);
    expect(createRunSchema.safeParse({ repoUrl: "file:///home/me/app" }).success).toBe(true);
    expect(createRunSchema.safeParse({ repoUrl: "https://x.test/a b" }).success).toBe(false);
    expect(createRunSchema.safeParse({ repoUrl: "/home/me/tab\there" }).success).toBe(false);
    expect(createRunSchema.safeParse({ repoUrl: "https:///no-host" }).success).toBe(false);
  });
});
