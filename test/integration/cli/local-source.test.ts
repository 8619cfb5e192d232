/**
 * `reporunner run <path>` against the real Run API: the API takes the working tree's absolute path
 * only when REPORUNNER_ALLOW_LOCAL_SOURCES is on, and the engine's own checkout (the real
 * `checkoutSource`, run by the stand-in engine) gets the committed HEAD, or with --uncommitted the
 * snapshot with the uncommitted and untracked files.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutSource } from "../../../automation/engine/source-checkout";
import type { DeployRequest, DeployResult, EngineListener } from "../../../automation/engine/run-engine";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";
import { reporunner } from "../../support/cli-io";
import { FakeEngine } from "../../support/fake-engine";
import { committedRepo, git } from "../../support/git-fixture";

/** What the engine was asked for, and what its checkout of that found. */
interface Checkout {
  readonly request: DeployRequest;
  readonly commitSha: string;
  readonly files: Record<string, string | undefined>;
}

/** The fake engine, but it checks the source out for real first, as the Pulumi engine does. */
class CheckoutEngine extends FakeEngine {
  readonly checkouts = new Map<string, Checkout>();

  override async deploy(
    request: DeployRequest,
    listener: EngineListener,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    const dir = mkdtempSync(join(tmpdir(), "reporunner-engine-"));
    const { commitSha } = await checkoutSource({
      environment: process.env,
      repoUrl: request.repoUrl,
      ref: request.ref,
      dir,
    });
    const read = (file: string) => {
      try {
        return readFileSync(join(dir, file), "utf8");
      } catch {
        return undefined;
      }
    };
    this.checkouts.set(request.runId, {
      request,
      commitSha,
      files: { "app.txt": read("app.txt"), "new.txt": read("new.txt") },
    });
    return super.deploy(request, listener, signal);
  }
}

let h: Harness;
let closed: Harness;
let engine: CheckoutEngine;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  engine = new CheckoutEngine(40);
  h = await startHarness({ REPORUNNER_ALLOW_LOCAL_SOURCES: "true" }, { engine });
  env = { REPORUNNER_URL: h.server.url, REPORUNNER_TOKEN: TOKENS.alice };
  // A second API on the same stores with local sources off (the default); no workers of its own.
  closed = await startHarness({ REPORUNNER_WORKERS: "0" }, { services: { redis: h.redis, mongo: h.mongo } });
});
afterAll(async () => {
  await closed?.close();
  await h?.close();
});

/** A repository with a committed app.txt "v1", an uncommitted edit to it and an untracked file. */
function dirtyRepo(): { dir: string; head: string } {
  const dir = committedRepo();
  writeFileSync(join(dir, "app.txt"), "v2 uncommitted\n");
  writeFileSync(join(dir, "new.txt"), "untracked\n");
  return { dir, head: git(dir, "rev-parse", "HEAD") };
}

function runIdOf(stdout: string): string {
  return JSON.parse(stdout).id;
}

describe("reporunner run <local path>", () => {
  it("runs the committed HEAD by default, says so, and leaves the uncommitted edit out", async () => {
    const { dir, head } = dirtyRepo();
    const result = await reporunner(["run", dir, "--json"], { env });
    expect(result.code).toBe(0);
    expect(result.errLines[0]).toBe(
      `running the committed HEAD ${head.slice(0, 7)} of ${dir}; uncommitted changes are not included — use --uncommitted`,
    );
    const checkout = engine.checkouts.get(runIdOf(result.stdout))!;
    expect(checkout.request).toMatchObject({ repoUrl: dir, ref: head });
    expect(checkout.commitSha).toBe(head);
    expect(checkout.files).toEqual({ "app.txt": "v1\n", "new.txt": undefined });
  });

  it("--uncommitted runs a snapshot ref with the edit and the untracked file, leaving git status as it was", async () => {
    const { dir, head } = dirtyRepo();
    const before = git(dir, "status", "--porcelain");
    const result = await reporunner(["run", dir, "--uncommitted", "--json"], { env });
    expect(result.code).toBe(0);
    const checkout = engine.checkouts.get(runIdOf(result.stdout))!;
    expect(checkout.request.repoUrl).toBe(dir);
    expect(checkout.request.ref).toMatch(/^refs\/reporunner\/snapshots\/[0-9a-f]{12}$/);
    expect(checkout.commitSha).toBe(git(dir, "rev-parse", checkout.request.ref!));
    expect(git(dir, "rev-parse", `${checkout.commitSha}^`)).toBe(head);
    expect(checkout.files).toEqual({ "app.txt": "v2 uncommitted\n", "new.txt": "untracked\n" });
    expect(git(dir, "status", "--porcelain")).toBe(before);
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
  });

  it("takes `.`, a subdirectory and a file:// URL as the working tree, and a --ref branch by name", async () => {
    const { dir, head } = dirtyRepo();
    const sub = join(dir, "sub");
    git(dir, "checkout", "-q", "-b", "feature");
    const fromFileUrl = await reporunner(["run", `file://${dir}`, "--ref", "main", "--json"], { env });
    expect(fromFileUrl.code).toBe(0);
    expect(engine.checkouts.get(runIdOf(fromFileUrl.stdout))!.request).toMatchObject({
      repoUrl: dir,
      ref: "main",
    });
    writeFileSync(join(dir, "sub.txt"), "x");
    git(dir, "add", "sub.txt");
    git(dir, "commit", "-q", "-m", "on feature");
    mkdirSync(sub);
    const cwd = process.cwd();
    process.chdir(sub);
    try {
      const fromDot = await reporunner(["run", ".", "--json"], { env });
      expect(fromDot.code).toBe(0);
      const checkout = engine.checkouts.get(runIdOf(fromDot.stdout))!;
      expect(checkout.request.repoUrl).toBe(dir);
      expect(checkout.commitSha).not.toBe(head);
      expect(checkout.commitSha).toBe(git(dir, "rev-parse", "feature"));
    } finally {
      process.chdir(cwd);
    }
  });

  it("is refused with one line naming repoUrl and the variable when the API does not allow local sources", async () => {
    const { dir } = dirtyRepo();
    const result = await reporunner(["run", dir], { env: { ...env, REPORUNNER_URL: closed.server.url } });
    expect(result.code).toBe(1);
    expect(result.errLines).toHaveLength(2);
    expect(result.errLines[0]).toMatch(/^running the committed HEAD/);
    expect(result.errLines[1]).toBe(
      "reporunner run: repoUrl is a local path, and this API runs no local repositories (start it with REPORUNNER_ALLOW_LOCAL_SOURCES=true) (400 local_sources_disabled)",
    );
  });
});
