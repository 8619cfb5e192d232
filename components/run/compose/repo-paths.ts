import { existsSync, realpathSync } from "node:fs";
import * as path from "node:path";

/** A path that was checked to stay inside the repository. */
export interface RepoPath {
  /** Relative to the repository root, with `/` separators; `.` for the root itself. */
  readonly relative: string;
  readonly absolute: string;
  readonly exists: boolean;
}

/** Why a path was not accepted; the text completes "… because it …". */
export type PathRejection = "is absolute" | "is in the home directory" | "leaves the repository" | "is a URL";

/**
 * Resolves `target` (as written in the compose file, relative to `baseDir` inside the repository)
 * and checks it stays inside the repository, following symlinks of the parts that exist so a link
 * to `/etc` cannot smuggle a host path in.
 */
export function resolveInRepo(repoRoot: string, baseDir: string, target: string): RepoPath | PathRejection {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || target.startsWith("git@")) return "is a URL";
  if (target === "~" || target.startsWith("~/")) return "is in the home directory";
  if (path.isAbsolute(target) || /^[a-zA-Z]:[\\/]/.test(target)) return "is absolute";
  const root = realpathSync(repoRoot);
  const absolute = path.resolve(root, baseDir, target);
  if (!isInside(root, absolute)) return "leaves the repository";
  const exists = existsSync(absolute);
  const real = realpathOfExistingPart(absolute);
  if (!isInside(root, real)) return "leaves the repository";
  const relative = path.relative(root, absolute).split(path.sep).join("/") || ".";
  return { relative, absolute, exists };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** realpath of the longest existing prefix, joined with the rest. */
function realpathOfExistingPart(absolute: string): string {
  let existing = absolute;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    rest.unshift(path.basename(existing));
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  return path.join(realpathSync(existing), ...rest);
}
