import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The one way a run reads a repository's files. The repository is untrusted: a symlink may point at
 * a host file, a "file" may be /dev/zero or a FIFO, a directory may hold a million entries. Every
 * path is resolved by hand, one component at a time, so a symlink that leaves the checkout is
 * refused before anything is opened, and what is opened must be a regular file no bigger than the
 * caller's limit and the checkout's overall budget.
 */

/** Largest text file read for configuration: compose files, `.env`, env and label files, Dockerfiles. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;
/** Most that one translation reads from a repository altogether. */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Most files one translation reads from a repository altogether. */
export const MAX_TOTAL_FILES = 1024;
/** Most entries a directory may have to be listed (e.g. for a bind mount). */
export const MAX_DIRECTORY_ENTRIES = 256;
/** What every refusal of a repository file comes down to; callers add it to their messages. */
export const REPO_FILES_ONLY = "a run reads only regular files inside the repository";
/** As Linux does: more symlinks than this while resolving one path is a loop. */
const MAX_SYMLINK_HOPS = 40;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/**
 * Why a path in the repository is not read. `path` is the offending path (relative to the
 * repository root, or as written when the written path itself is wrong); `reason` completes it.
 * `limit` tells a file or directory that is only too big or too full (for the caller's limit, or for
 * the run's budget) from one no run may read.
 */
export class RepoFileRefusal {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly limit?: "size" | "entries" | "budget",
  ) {}

  /** E.g. `"cfg/creds" is a symlink that leaves the repository`. */
  get message(): string {
    return `"${this.path}" ${this.reason}`;
  }

  /**
   * The refusal as a translation problem, with what a run reads instead. For a problem named by the
   * file itself (`.env: …`), pass it: the path is then left out unless it is another (a symlink on
   * the way).
   */
  explain(file?: string): string {
    return `${this.path === file ? this.reason : this.message}: ${REPO_FILES_ONLY}`;
  }
}

/** A path resolved inside the repository, with what is there. */
export interface RepoPath {
  /** Relative to the repository root, `/`-separated, symlinks resolved; `.` for the root. */
  readonly relative: string;
  /** The real absolute path. */
  readonly absolute: string;
  readonly kind: "file" | "directory" | "missing";
}

/** Reads one checkout within its walls and within one budget (see the module comment). */
export class RepoFiles {
  /** The real absolute path of the repository root. */
  readonly root: string;
  private bytesRead = 0;
  private filesRead = 0;

  constructor(repoDir: string) {
    this.root = fs.realpathSync(repoDir);
  }

  /**
   * Resolves `written` (as a compose file or the caller wrote it, relative to `baseDir`, itself
   * relative to the root). Refuses URLs, home and absolute paths, anything that leaves the
   * repository (through `..` or a symlink), and anything that is neither a file nor a directory.
   */
  resolve(baseDir: string, written: string): RepoPath | RepoFileRefusal {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(written) || written.startsWith("git@"))
      return new RepoFileRefusal(written, "is a URL");
    if (written === "~" || written.startsWith("~/"))
      return new RepoFileRefusal(written, "is in the home directory");
    if (path.isAbsolute(written) || /^[a-zA-Z]:[\\/]/.test(written))
      return new RepoFileRefusal(written, "is absolute");
    const parts = [...splitParts(baseDir), ...splitParts(written)];
    return this.walk(parts, written);
  }

  /** Reads a regular file resolved by {@link resolve}, refusing it past `maxBytes` or the budget. */
  read(file: RepoPath, maxBytes: number = MAX_TEXT_FILE_BYTES): Buffer | RepoFileRefusal {
    if (file.kind !== "file") return new RepoFileRefusal(file.relative, kindReason(file.kind));
    if (this.filesRead >= MAX_TOTAL_FILES) {
      return new RepoFileRefusal(
        file.relative,
        `is one file too many: a run reads at most ${MAX_TOTAL_FILES} files of a repository`,
        "budget",
      );
    }
    const budget = MAX_TOTAL_BYTES - this.bytesRead;
    const limit = Math.min(maxBytes, budget);
    const content = readRegularFile(file.absolute, limit);
    if (content instanceof RepoFileRefusal) {
      if (content.limit === "size" && budget < maxBytes) {
        return new RepoFileRefusal(
          file.relative,
          `does not fit in what is left of the ${formatBytes(MAX_TOTAL_BYTES)} a run reads from a repository`,
          "budget",
        );
      }
      return new RepoFileRefusal(file.relative, content.reason, content.limit);
    }
    this.filesRead += 1;
    this.bytesRead += content.length;
    return content;
  }

  /**
   * Resolves and reads `written` in one step: its content, why it is refused, or undefined when
   * nothing is there (for the caller to decide whether that is fine).
   */
  readFile(
    baseDir: string,
    written: string,
    maxBytes = MAX_TEXT_FILE_BYTES,
  ): { path: RepoPath; content: Buffer } | RepoFileRefusal | undefined {
    const resolved = this.resolve(baseDir, written);
    if (resolved instanceof RepoFileRefusal) return resolved;
    if (resolved.kind === "missing") return undefined;
    const content = this.read(resolved, maxBytes);
    return content instanceof RepoFileRefusal ? content : { path: resolved, content };
  }

  /**
   * The names in a directory, sorted, none of them resolved yet. More than `maxEntries` is refused
   * without reading the rest of the directory.
   */
  names(directory: RepoPath, maxEntries = MAX_DIRECTORY_ENTRIES): string[] | RepoFileRefusal {
    if (directory.kind !== "directory") return new RepoFileRefusal(directory.relative, "is not a directory");
    const names: string[] = [];
    let dir: fs.Dir | undefined;
    try {
      dir = fs.opendirSync(directory.absolute);
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        if (names.length === maxEntries) {
          return new RepoFileRefusal(directory.relative, `has more than ${maxEntries} entries`, "entries");
        }
        names.push(entry.name);
      }
    } catch (error) {
      return unreadable(directory.relative, error);
    } finally {
      dir?.closeSync();
    }
    return names.sort();
  }

  /** Resolves one name found in `directory` (a name as found, not a path as written). */
  entry(directory: RepoPath, name: string): RepoPath | RepoFileRefusal {
    const relative = directory.relative === "." ? name : `${directory.relative}/${name}`;
    return this.walk(splitParts(relative), relative);
  }

  /**
   * Follows `parts` from the root the way the kernel would, but by hand: each symlink is read and
   * its target checked to stay inside the root before it is followed.
   */
  private walk(parts: string[], written: string): RepoPath | RepoFileRefusal {
    const queue = [...parts];
    let current = this.root;
    let kind: "file" | "directory" = "directory";
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part === ".") continue;
      if (part === "..") {
        if (current === this.root) return new RepoFileRefusal(written, "leaves the repository");
        current = path.dirname(current);
        kind = "directory";
        continue;
      }
      const next = path.join(current, part);
      let stat: fs.Stats;
      try {
        stat = fs.lstatSync(next);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") return unreadable(written, error);
        // Nothing more to follow: the rest is where a file would be, if it stays inside.
        const missing = path.resolve(next, ...queue);
        if (!isInside(this.root, missing)) return new RepoFileRefusal(written, "leaves the repository");
        return { relative: this.relativeOf(missing), absolute: missing, kind: "missing" };
      }
      if (stat.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          return new RepoFileRefusal(this.relativeOf(next), "is a symlink loop");
        }
        let target: string;
        try {
          target = fs.readlinkSync(next);
        } catch (error) {
          return unreadable(this.relativeOf(next), error);
        }
        if (path.isAbsolute(target)) {
          // An absolute link is allowed only when it names a place inside the checkout itself.
          if (!isInside(this.root, target)) {
            return new RepoFileRefusal(this.relativeOf(next), "is a symlink that leaves the repository");
          }
          current = this.root;
          queue.unshift(...splitParts(path.relative(this.root, target)));
        } else {
          const lexical = path.resolve(current, target);
          if (!isInside(this.root, lexical)) {
            return new RepoFileRefusal(this.relativeOf(next), "is a symlink that leaves the repository");
          }
          queue.unshift(...splitParts(target));
        }
        continue;
      }
      if (queue.length > 0 && !stat.isDirectory()) {
        const missing = path.resolve(next, ...queue);
        return { relative: this.relativeOf(missing), absolute: missing, kind: "missing" };
      }
      if (!stat.isFile() && !stat.isDirectory()) {
        return new RepoFileRefusal(this.relativeOf(next), specialKind(stat));
      }
      current = next;
      kind = stat.isDirectory() ? "directory" : "file";
    }
    return { relative: this.relativeOf(current), absolute: current, kind };
  }

  private relativeOf(absolute: string): string {
    return path.relative(this.root, absolute).split(path.sep).join("/") || ".";
  }
}

/**
 * Reads a regular file at an absolute path that holds no symlink, refusing it when it is anything
 * else or bigger than `maxBytes`. The file is opened without following a symlink and without
 * blocking, and checked on the open descriptor, so a file swapped for a FIFO or a device after it
 * was looked at is still never read; reading stops at `maxBytes + 1`, whatever size it claims.
 * (Directories on the way are trusted as {@link RepoFiles} resolved them: a checkout does not change
 * while it is translated.)
 */
export function readRegularFile(absolute: string, maxBytes: number): Buffer | RepoFileRefusal {
  let fd: number;
  try {
    fd = fs.openSync(absolute, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      return new RepoFileRefusal(absolute, "is a symlink");
    return unreadable(absolute, error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return new RepoFileRefusal(absolute, specialKind(stat));
    if (stat.size > maxBytes) return tooLarge(absolute, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(Math.max(1, Math.min(64 * 1024, maxBytes + 1)));
    for (;;) {
      const count = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (count === 0) break;
      total += count;
      // The size fstat gives is not trusted: some files (in /proc, say) claim 0 and go on.
      if (total > maxBytes) return tooLarge(absolute, maxBytes);
      chunks.push(Buffer.from(chunk.subarray(0, count)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

/** `1 MiB`, `16 MiB`, `1000000 bytes`: limits as a person reads them. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes % (1000 * 1000) === 0) return `${bytes / (1000 * 1000)} MB`;
  return `${bytes} bytes`;
}

/** A file system error (permissions, a name too long) as a refusal: the repository, not the reader, is at fault. */
function unreadable(where: string, error: unknown): RepoFileRefusal {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) throw error;
  return new RepoFileRefusal(where, `cannot be read (${code})`);
}

function tooLarge(absolute: string, maxBytes: number): RepoFileRefusal {
  return new RepoFileRefusal(
    absolute,
    `is larger than the ${formatBytes(maxBytes)} read of such a file`,
    "size",
  );
}

function specialKind(stat: fs.Stats): string {
  const what = stat.isFIFO()
    ? "a FIFO"
    : stat.isCharacterDevice() || stat.isBlockDevice()
      ? "a device"
      : stat.isSocket()
        ? "a socket"
        : "a special file";
  return `is ${what}, not a regular file or directory`;
}

function kindReason(kind: RepoPath["kind"]): string {
  return kind === "missing" ? "does not exist in the repository" : "is a directory, not a file";
}

function splitParts(relative: string): string[] {
  return relative.split("/").filter((part) => part !== "" && part !== ".");
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}
