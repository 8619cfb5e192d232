import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { localPathOf, resolveLocalSource, snapshotWorkingTree } from "../../../automation/cli/local-source";
import { checkoutSource } from "../../../automation/engine/source-checkout";
import { committedRepo, git } from "../../support/git-fixture";

/** Everything a snapshot must leave alone: the index file, the status, HEAD and every branch. */
function userState(dir: string) {
  return {
    index: readFileSync(join(dir, ".git", "index")).toString("base64"),
    status: git(dir, "status", "--porcelain"),
    head: git(dir, "rev-parse", "HEAD"),
    symbolicHead: git(dir, "symbolic-ref", "HEAD"),
    branches: git(dir, "for-each-ref", "refs/heads", "--format=%(refname) %(objectname)"),
  };
}

/** Checks out `ref` of `repoUrl` the way the engine does, into a new directory. */
async function engineCheckout(repoUrl: string, ref: string) {
  const dir = mkdtempSync(join(tmpdir(), "reporunner-checkout-"));
  const { commitSha } = await checkoutSource({ environment: process.env, repoUrl, ref, dir });
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), "utf8");
    } catch {
      return undefined;
    }
  };
  return { commitSha, read };
}

describe("localPathOf", () => {
  it("treats ., existing paths, written paths and file:// URLs as local, and URLs as remote", () => {
    const repo = committedRepo();
    expect(localPathOf(".")).toBe(process.cwd());
    expect(localPathOf(repo)).toBe(repo);
    expect(localPathOf("./not/there")).toBe(join(process.cwd(), "not/there"));
    expect(localPathOf(pathToFileURL(repo).href)).toBe(repo);
    expect(localPathOf("https://github.com/org/app.git")).toBeUndefined();
    expect(localPathOf("ssh://git@github.com/org/app.git")).toBeUndefined();
    expect(localPathOf("git@github.com:org/app.git")).toBeUndefined();
    expect(localPathOf("github.com/org/app")).toBeUndefined();
  });
});

describe("resolveLocalSource without --uncommitted", () => {
  it("runs the committed HEAD by its full SHA, from the top of the working tree", () => {
    const repo = committedRepo();
    mkdirSync(join(repo, "sub"));
    const head = git(repo, "rev-parse", "HEAD");
    const source = resolveLocalSource(join(repo, "sub"), {});
    expect(source).toEqual({
      repoUrl: repo,
      ref: head,
      commit: head,
      description: `running the committed HEAD ${head.slice(0, 7)} of ${repo}`,
    });
  });

  it("says that uncommitted changes are left out, and how to include them", () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v2\n");
    const head = git(repo, "rev-parse", "HEAD");
    expect(resolveLocalSource(repo, {}).description).toBe(
      `running the committed HEAD ${head.slice(0, 7)} of ${repo}; uncommitted changes are not included — use --uncommitted`,
    );
  });

  it("sends a branch by name and anything else as the full commit SHA", () => {
    const repo = committedRepo();
    const head = git(repo, "rev-parse", "HEAD");
    expect(resolveLocalSource(repo, { ref: "main" })).toMatchObject({ ref: "main", commit: head });
    expect(resolveLocalSource(repo, { ref: head.slice(0, 8) })).toMatchObject({ ref: head, commit: head });
    expect(() => resolveLocalSource(repo, { ref: "no-such-branch" })).toThrow(
      /--ref no-such-branch: no such branch, tag or commit/,
    );
  });

  it("refuses a repository without a commit, pointing at --uncommitted", () => {
    const dir = mkdtempSync(join(tmpdir(), "reporunner-empty-"));
    git(dir, "init", "-q");
    expect(() => resolveLocalSource(dir, {})).toThrow(
      /has no commit yet: commit first, or use --uncommitted/,
    );
  });
});

describe("snapshotWorkingTree (--uncommitted)", () => {
  it("commits changes, deletions and untracked files but not ignored ones, and touches nothing of the user's", () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v2 uncommitted\n");
    writeFileSync(join(repo, "new.txt"), "untracked\n");
    writeFileSync(join(repo, "debug.log"), "ignored\n");
    unlinkSync(join(repo, "gone.txt"));
    writeFileSync(join(repo, "staged.txt"), "staged\n");
    git(repo, "add", "staged.txt");
    const before = userState(repo);

    const { commit, ref } = snapshotWorkingTree(repo);

    expect(userState(repo)).toEqual(before);
    expect(ref).toBe(`refs/reporunner/snapshots/${commit.slice(0, 12)}`);
    expect(git(repo, "rev-parse", ref)).toBe(commit);
    expect(git(repo, "rev-parse", `${commit}^`)).toBe(before.head);
    expect(git(repo, "ls-tree", "--name-only", commit).split("\n").sort()).toEqual([
      ".gitignore",
      "app.txt",
      "new.txt",
      "staged.txt",
    ]);
    expect(git(repo, "show", `${commit}:app.txt`)).toBe("v2 uncommitted");
  });

  it("keeps a file that is tracked although .gitignore matches it", () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "kept.log"), "forced\n");
    git(repo, "add", "-f", "kept.log");
    git(repo, "commit", "-q", "-m", "force-add");
    const { commit } = snapshotWorkingTree(repo);
    expect(git(repo, "show", `${commit}:kept.log`)).toBe("forced");
  });

  it("gives the same commit for the same working tree, and works before the first commit", () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v3\n");
    expect(snapshotWorkingTree(repo).commit).toBe(snapshotWorkingTree(repo).commit);
    const fresh = mkdtempSync(join(tmpdir(), "reporunner-fresh-"));
    git(fresh, "init", "-q");
    writeFileSync(join(fresh, "only.txt"), "first\n");
    const { commit } = snapshotWorkingTree(fresh);
    expect(git(fresh, "show", `${commit}:only.txt`)).toBe("first");
    expect(git(fresh, "status", "--porcelain")).toBe("?? only.txt");
  });

  it("describes the snapshot and sends its ref", () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v2\n");
    const source = resolveLocalSource(repo, { uncommitted: true });
    expect(source.ref).toMatch(/^refs\/reporunner\/snapshots\/[0-9a-f]{12}$/);
    expect(source.description).toBe(
      `running a snapshot of the working tree of ${repo}, uncommitted and untracked files included (${source.ref})`,
    );
  });
});

describe("the engine's checkout of a local source", () => {
  it("fetches the snapshot ref shallowly from the path and sees the uncommitted files", async () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v2 uncommitted\n");
    writeFileSync(join(repo, "new.txt"), "untracked\n");
    const source = resolveLocalSource(repo, { uncommitted: true });
    const checkout = await engineCheckout(source.repoUrl, source.ref);
    expect(checkout.commitSha).toBe(source.commit);
    expect(checkout.read("app.txt")).toBe("v2 uncommitted\n");
    expect(checkout.read("new.txt")).toBe("untracked\n");
    expect(checkout.read("gone.txt")).toBe("to be deleted\n");
  });

  it("fetches the committed HEAD by SHA, and a branch by name, without the uncommitted edit", async () => {
    const repo = committedRepo();
    writeFileSync(join(repo, "app.txt"), "v2 uncommitted\n");
    const head = resolveLocalSource(repo, {});
    const bySha = await engineCheckout(head.repoUrl, head.ref);
    expect(bySha.commitSha).toBe(head.commit);
    expect(bySha.read("app.txt")).toBe("v1\n");
    const byBranch = await engineCheckout(repo, "main");
    expect(byBranch.commitSha).toBe(head.commit);
    rmSync(repo, { recursive: true, force: true });
  });
});
