import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

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

/**
 * Finds database migrations in a repository: Prisma (`prisma/schema.prisma`), Entity Framework
 * Core (a `.csproj` referencing Microsoft.EntityFrameworkCore.Design, or a `Migrations` folder with
 * a model snapshot) and Alembic (`alembic.ini`). Pure apart from reading the directory tree.
 */
export function detectMigrations(repoDir: string): DetectedMigration[] {
  const found: DetectedMigration[] = [];
  walk(repoDir, ".", 0, (relativeDir, names) => {
    const here = (name: string) => (relativeDir === "." ? name : `${relativeDir}/${name}`);
    const absolute = (name: string) => path.join(repoDir, here(name));
    if (names.includes("alembic.ini")) {
      found.push({
        tool: "alembic",
        directory: relativeDir,
        evidence: [here("alembic.ini")],
        command: ["alembic", "upgrade", "head"],
      });
    }
    if (names.includes("prisma") && existsSync(absolute("prisma/schema.prisma"))) {
      const migrations = absolute("prisma/migrations");
      const hasMigrations =
        existsSync(migrations) &&
        readdirSync(migrations, { withFileTypes: true }).some((entry) => entry.isDirectory());
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
      const text = readFileSync(absolute(project), "utf8");
      const snapshot = modelSnapshot(absolute("Migrations"));
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

function modelSnapshot(migrationsDir: string): string | undefined {
  if (!existsSync(migrationsDir) || !statSync(migrationsDir).isDirectory()) return undefined;
  return readdirSync(migrationsDir).find((name) => name.endsWith("ModelSnapshot.cs"));
}

function walk(
  root: string,
  relativeDir: string,
  depth: number,
  visit: (relativeDir: string, names: string[]) => void,
): void {
  const entries = readdirSync(path.join(root, relativeDir), { withFileTypes: true });
  visit(
    relativeDir,
    entries.map((entry) => entry.name),
  );
  if (depth >= MAX_DEPTH) return;
  for (const entry of entries) {
    if (!entry.isDirectory() || SKIPPED.has(entry.name) || entry.name.startsWith(".")) continue;
    walk(root, relativeDir === "." ? entry.name : `${relativeDir}/${entry.name}`, depth + 1, visit);
  }
}
