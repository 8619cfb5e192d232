/**
 * A repository on this machine as the source of a run: `reporunner run .`, any existing path or a
 * `file://` URL. The API (started with REPORUNNER_ALLOW_LOCAL_SOURCES) fetches from the absolute path of
 * the working tree; the CLI picks what it fetches: the committed HEAD by default, a `--ref`, or with
 * `--uncommitted` a snapshot commit of the working tree that leaves the user's index, files and
 * branches as they were.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, usageError } from "./cli-error";
import { EXIT } from "./io";

/** Where snapshot commits are kept, so that the API can fetch them by name. */
export const SNAPSHOT_REFS = "refs/reporunner/snapshots";

/** What the run is given, and the sentence that tells the user what will run. */
export interface LocalSource {
  /** Absolute path of the working tree's top directory: the run's `repoUrl`. */
  readonly repoUrl: string;
  /** The run's `ref`: a full commit SHA, the user's `--ref`, or a snapshot ref. */
  readonly ref: string;
  readonly commit: string;
  readonly description: string;
}

/**
 * The directory a repository argument names, when it names one on this machine: a `file://` URL, or
 * anything that is not a remote URL and either exists or is written as a path (`.`, `../x`, `/x`).
 */
export function localPathOf(argument: string): string | undefined {
  if (/^file:/i.test(argument)) {
    try {
      return fileURLToPath(argument);
    } catch {
      throw usageError(`${argument}: not a file:// URL of a directory (write file:///absolute/path)`);
    }
  }
  // A URL (https://…, ssh://…) or git's scp-like form (git@host:org/repo) is remote.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument) || /^[^/\s]+@[^/\s]+:/.test(argument)) return undefined;
  if (fs.existsSync(argument) || /^\.{1,2}(\/|$)|^\//.test(argument)) return path.resolve(argument);
  return undefined;
}

/** Resolves a local directory to what the run fetches. */
export function resolveLocalSource(
  dir: string,
  options: { ref?: string; uncommitted?: boolean },
): LocalSource {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat) throw usageError(`${dir}: no such directory`);
  if (!stat.isDirectory()) throw usageError(`${dir} is not a directory`);
  const top = gitOrNull(dir, ["rev-parse", "--show-toplevel"]);
  if (top === null) {
    throw usageError(`${dir} is not inside a git working tree: run \`git init\` and commit, or give a URL`);
  }
  const head = gitOrNull(top, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  if (options.uncommitted) {
    const snapshot = snapshotWorkingTree(top);
    return {
      repoUrl: top,
      ref: snapshot.ref,
      commit: snapshot.commit,
      description: `running a snapshot of the working tree of ${top}, uncommitted and untracked files included (${snapshot.ref})`,
    };
  }
  if (options.ref !== undefined) {
    const commit = gitOrNull(top, ["rev-parse", "--verify", "--quiet", `${options.ref}^{commit}`]);
    if (commit === null) throw usageError(`--ref ${options.ref}: no such branch, tag or commit in ${top}`);
    // A branch or tag is sent by name (a redeploy then takes its newest commit); anything else as the full SHA.
    const named = gitOrNull(top, ["rev-parse", "--symbolic-full-name", options.ref]);
    return {
      repoUrl: top,
      ref: named ? options.ref : commit,
      commit,
      description: `running ${options.ref} (${commit.slice(0, 7)}) of ${top}`,
    };
  }
  if (head === null) throw usageError(`${top} has no commit yet: commit first, or use --uncommitted`);
  // GIT_OPTIONAL_LOCKS=0: status must not refresh (write) the user's index as a side effect.
  const status = git(top, ["status", "--porcelain"], { ...process.env, GIT_OPTIONAL_LOCKS: "0" });
  const dirty = status !== "";
  return {
    repoUrl: top,
    ref: head,
    commit: head,
    description:
      `running the committed HEAD ${head.slice(0, 7)} of ${top}` +
      (dirty ? "; uncommitted changes are not included — use --uncommitted" : ""),
  };
}

/**
 * Commits the working tree as it is (tracked changes, deletions, untracked files that are not
 * ignored) on top of HEAD, and names the commit `refs/reporunner/snapshots/<sha12>`. Everything goes
 * through a temporary index (GIT_INDEX_FILE), so the user's index, working tree, HEAD and branches are
 * untouched. The identity and date are fixed, so the same tree on the same HEAD gives the same commit.
 */
export function snapshotWorkingTree(top: string): { commit: string; ref: string } {
  const head = gitOrNull(top, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-index-"));
  try {
    const env = { ...process.env, GIT_INDEX_FILE: path.join(scratch, "index") };
    // Start from HEAD, not from nothing: a file tracked despite .gitignore must stay in the snapshot.
    if (head) git(top, ["read-tree", head], env);
    git(top, ["add", "--all", "--", "."], env);
    const tree = git(top, ["write-tree"], env);
    // HEAD's date (or 2000-01-01 before the first commit; git refuses dates near 0).
    const date = head ? git(top, ["log", "-1", "--no-show-signature", "--format=%ct", head]) : "946684800";
    const commit = git(
      top,
      ["commit-tree", tree, ...(head ? ["-p", head] : []), "-m", "reporunner: snapshot of the working tree"],
      {
        ...env,
        GIT_AUTHOR_NAME: "reporunner",
        GIT_AUTHOR_EMAIL: "reporunner@localhost",
        GIT_AUTHOR_DATE: `${date} +0000`,
        GIT_COMMITTER_NAME: "reporunner",
        GIT_COMMITTER_EMAIL: "reporunner@localhost",
        GIT_COMMITTER_DATE: `${date} +0000`,
      },
    );
    const ref = `${SNAPSHOT_REFS}/${commit.slice(0, 12)}`;
    git(top, ["update-ref", ref, commit]);
    return { commit, ref };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync("git", args, {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CliError(EXIT.refused, "git is not installed (or not on PATH): a local repository needs it");
    }
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    const why =
      stderr
        .split("\n")
        .at(-1)
        ?.replace(/^(fatal|error): /, "") || (error as Error).message;
    throw new CliError(EXIT.refused, `git ${args[0]} in ${cwd} failed: ${why}`, { cause: error });
  }
}

/** git's answer, or null when git says no (not a repository, no such ref). */
function gitOrNull(cwd: string, args: string[]): string | null {
  try {
    return git(cwd, args) || null;
  } catch (error) {
    if ((error as CliError).cause === undefined) throw error;
    return null;
  }
}
