import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Removes the lock a crashed update left on a stack of a file backend, so the next update can run.
 * Only the worker that holds the run's job calls this, after the previous holder's job was claimed,
 * so no live update owns the lock. Other backends are left alone (Pulumi Cloud cancels remotely).
 */
export async function clearStaleLock(backendUrl: string | undefined, stack: string): Promise<void> {
  if (!backendUrl?.startsWith("file://")) return;
  const locks = path.join(fileURLToPath(backendUrl), ".pulumi", "locks");
  for (const project of await listDirs(locks, 2)) {
    await fs.rm(path.join(project, stack), { recursive: true, force: true });
  }
}

/** Folders `depth` levels below `dir` (locks live at `locks/<org>/<project>/<stack>`). */
async function listDirs(dir: string, depth: number): Promise<string[]> {
  if (depth === 0) return [dir];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const nested = await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => listDirs(path.join(dir, e.name), depth - 1)),
  );
  return nested.flat();
}
