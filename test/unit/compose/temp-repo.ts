import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Repositories made at test time, for what git fixtures hold badly: symlinks (in and out of the
 * repository), FIFOs and files too large to commit. Each lives in its own temp directory.
 */
const made: string[] = [];

/** A new temp directory holding `files` (path → content); parents are created. */
export function tempDir(files: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-repo-"));
  made.push(dir);
  for (const [file, content] of Object.entries(files)) writeFile(dir, file, content);
  return dir;
}

export function writeFile(dir: string, file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
}

/** `dir/file` as a symlink to `target` (taken as written: absolute, or relative to the link). */
export function symlink(dir: string, file: string, target: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.symlinkSync(target, path.join(dir, file));
}

/** Removes every directory made so far; for `afterAll`. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
