import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readRegularFile, RepoFileRefusal } from "./source/repo-files";

/** What decides an image's content: the files of its context and how it is built. */
export interface BuildInputs {
  /** The build context, absolute. */
  readonly contextDir: string;
  /** The Dockerfile's text (read from the repository or given inline). */
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
}

/** Folders that never change what an image contains. */
const SKIPPED = new Set([".git"]);

/**
 * A content hash of everything a build reads, used as the image tag: an unchanged commit gives the
 * same tag, so its build and its load are skipped. Files are taken in sorted order with their
 * relative path and mode, so the hash is the same on every machine; symlinks hash their target path.
 */
export function buildContextHash(inputs: BuildInputs, maxBytes = 512 * 1024 * 1024): string {
  const hash = createHash("sha256");
  hash.update(`dockerfile\0${inputs.dockerfile}\0target\0${inputs.target ?? ""}\0`);
  for (const key of Object.keys(inputs.args).sort()) hash.update(`arg\0${key}\0${inputs.args[key]}\0`);
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const relative = path.relative(inputs.contextDir, full).split(path.sep).join("/");
      if (entry.isDirectory()) {
        hash.update(`dir\0${relative}\0`);
        walk(full);
      } else if (entry.isSymbolicLink()) {
        hash.update(`link\0${relative}\0${fs.readlinkSync(full)}\0`);
      } else if (entry.isFile()) {
        // Opened without following links and checked on the descriptor, like every repository read.
        const content = readRegularFile(full, maxBytes - total);
        if (content instanceof RepoFileRefusal) {
          throw new Error(
            content.limit
              ? `build context ${inputs.contextDir} is larger than ${maxBytes} bytes`
              : `build context ${inputs.contextDir}: ${relative} ${content.reason}`,
          );
        }
        total += content.length;
        hash.update(`file\0${relative}\0${fs.lstatSync(full).mode & 0o111 ? "x" : "-"}\0`);
        hash.update(content);
        hash.update("\0");
      }
    }
  };
  walk(inputs.contextDir);
  return hash.digest("hex").slice(0, 16);
}
