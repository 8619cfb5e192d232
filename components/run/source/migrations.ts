import { RepoFileRefusal, RepoFiles, type RepoPath } from "./repo-files";

/** A database migration tool found in a repository, and how to apply its migrations as a Job. */
export interface DetectedMigration {
  readonly tool: "prisma" | "entity-framework" | "alembic";
  /** The directory to run the command in, relative to the repository root (`.` for the root). */
  readonly directory: string;
  /** The files that gave it away, relative to the repository root. */
  readonly evidence: readonly string[];
  /** The command to run, in `directory`, in an image that has the tool. */
  readonly command: readonly string[];
  /** What the caller should know before running it. */
  readonly note?: string;
}

/** Directories that hold dependencies or build output, never a project's own migrations. */
const SKIPPED = new Set([
  "node_modules",
  ".git",
  "vendor",
  "bin",
  "obj",
  "dist",
  "build",
  ".venv",
  "venv",
  "__pycache__",
  "target",
]);
/** Migrations live near the top of a repository; deeper search only costs time on large ones. */
const MAX_DEPTH = 4;
/** A directory with more entries than this is data, not a project: it is not searched. */
const MAX_SEARCHED_ENTRIES = 4096;

/**
 * Finds database migrations in a repository: Prisma (`prisma/schema.prisma`), Entity Framework
 * Core (a `.csproj` referencing Microsoft.EntityFrameworkCore.Design, or a `Migrations` folder with
 * a model snapshot) and Alembic (`alembic.ini`). Pure apart from reading the directory tree, through
 * {@link RepoFiles}: what it refuses (a symlink out of the repository, a FIFO) is passed over.
 */
export function detectMigrations(repoDir: string): DetectedMigration[] {
  const files = new RepoFiles(repoDir);
  const found: DetectedMigration[] = [];
  walk(files, files.resolve(".", "."), 0, (relativeDir, names) => {
    const here = (name: string) => (relativeDir === "." ? name : `${relativeDir}/${name}`);
    const pathOf = (name: string) => {
      const resolved = files.resolve(relativeDir, name);
      return resolved instanceof RepoFileRefusal ? undefined : resolved;
    };
    if (names.includes("alembic.ini")) {
      found.push({
        tool: "alembic",
        directory: relativeDir,
        evidence: [here("alembic.ini")],
        command: ["alembic", "upgrade", "head"],
      });
    }
    if (names.includes("prisma") && pathOf("prisma/schema.prisma")?.kind === "file") {
      const hasMigrations = entriesOf(files, pathOf("prisma/migrations")).some(
        (entry) => entry.kind === "directory",
      );
      found.push({
        tool: "prisma",
        directory: relativeDir,
        evidence: [here("prisma/schema.prisma"), ...(hasMigrations ? [here("prisma/migrations")] : [])],
        command: hasMigrations
          ? ["npx", "prisma", "migrate", "deploy"]
          : ["npx", "prisma", "db", "push", "--skip-generate"],
        ...(hasMigrations
          ? {}
          : {
              note: "no prisma/migrations folder: the schema is pushed as it is (db push), which refuses changes that lose data",
            }),
      });
    }
    for (const project of names.filter((name) => name.endsWith(".csproj"))) {
      const read = files.readFile(relativeDir, project);
      const text = read === undefined || read instanceof RepoFileRefusal ? "" : read.content.toString("utf8");
      const snapshot = entriesOf(files, pathOf("Migrations")).find((entry) =>
        entry.name.endsWith("ModelSnapshot.cs"),
      )?.name;
      if (!text.includes("Microsoft.EntityFrameworkCore.Design") && !snapshot) continue;
      found.push({
        tool: "entity-framework",
        directory: relativeDir,
        evidence: [here(project), ...(snapshot ? [here(`Migrations/${snapshot}`)] : [])],
        command: ["dotnet", "ef", "database", "update", "--project", project],
        note: "needs the .NET SDK with the dotnet-ef tool, which runtime images lack: run it from the SDK build stage, or ship a migrations bundle (dotnet ef migrations bundle)",
      });
    }
  });
  return found;
}

/** The entries of a directory that can be read, with their kinds; none when it cannot be listed. */
function entriesOf(files: RepoFiles, directory: RepoPath | undefined): Array<{ name: string; kind: string }> {
  if (directory?.kind !== "directory") return [];
  const names = files.names(directory, MAX_SEARCHED_ENTRIES);
  if (names instanceof RepoFileRefusal) return [];
  return names.flatMap((name) => {
    const entry = files.entry(directory, name);
    return entry instanceof RepoFileRefusal ? [] : [{ name, kind: entry.kind }];
  });
}

/** Visits directories breadth of `MAX_SEARCHED_ENTRIES`, depth of `MAX_DEPTH`; symlinked directories are not entered. */
function walk(
  files: RepoFiles,
  directory: RepoPath | RepoFileRefusal,
  depth: number,
  visit: (relativeDir: string, names: string[]) => void,
): void {
  if (directory instanceof RepoFileRefusal || directory.kind !== "directory") return;
  const names = files.names(directory, MAX_SEARCHED_ENTRIES);
  if (names instanceof RepoFileRefusal) return;
  visit(directory.relative, names);
  if (depth >= MAX_DEPTH) return;
  for (const name of names) {
    if (SKIPPED.has(name) || name.startsWith(".")) continue;
    const entry = files.entry(directory, name);
    const own = directory.relative === "." ? name : `${directory.relative}/${name}`;
    // A real directory only: a symlinked one resolves to its target's path, not its own.
    if (entry instanceof RepoFileRefusal || entry.relative !== own) continue;
    walk(files, entry, depth + 1, visit);
  }
}
