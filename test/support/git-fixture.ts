/** Small real git repositories in temporary directories, for the local-source tests. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs git in `cwd` with a fixed identity (the test machine may have none) and returns its output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "test",
      GIT_AUTHOR_EMAIL: "test@example.test",
      GIT_COMMITTER_NAME: "test",
      GIT_COMMITTER_EMAIL: "test@example.test",
    },
  }).trim();
}

/** A repository with one commit: app.txt "v1", an ignored file pattern, on branch main. */
export function committedRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "reporunner-local-"));
  git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, "app.txt"), "v1\n");
  writeFileSync(join(dir, "gone.txt"), "to be deleted\n");
  writeFileSync(join(dir, ".gitignore"), "*.log\nbuild/\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "first");
  return dir;
}
