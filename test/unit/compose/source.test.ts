import { describe, expect, it } from "vitest";
import { detectSource, SourceNotFoundError } from "../../../components/run/source/detect";
import { detectMigrations } from "../../../components/run/source/migrations";
import { fixture, translateFixture, warningAt } from "./fixtures";

describe("source detection", () => {
  it("prefers compose.yaml over docker-compose.yml and a Dockerfile, and reports what it passed over", () => {
    expect(detectSource(fixture("detect-precedence"))).toEqual({
      kind: "compose",
      file: "compose.yaml",
      ignored: ["docker-compose.yml", "Dockerfile"],
    });
    expect(warningAt(translateFixture("detect-precedence").warnings, "docker-compose.yml")).toContain(
      "compose.yaml takes precedence",
    );
  });

  it("uses the Dockerfile when asked for dockerfile mode even if a compose file exists", () => {
    expect(detectSource(fixture("detect-precedence"), "dockerfile")).toEqual({
      kind: "dockerfile",
      file: "Dockerfile",
      ignored: ["compose.yaml", "docker-compose.yml"],
    });
  });

  it("finds a lone Dockerfile in auto mode and the legacy docker-compose.yaml name", () => {
    expect(detectSource(fixture("detect-dockerfile-only")).kind).toBe("dockerfile");
    expect(detectSource(fixture("detect-legacy-name")).file).toBe("docker-compose.yaml");
  });

  it("says what it looked for and what to add when nothing runnable is there", () => {
    expect(() => detectSource(fixture("detect-nothing"))).toThrow(SourceNotFoundError);
    expect(() => detectSource(fixture("detect-nothing"))).toThrow(
      "no Dockerfile or compose file at the repository root (looked for Dockerfile, compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml): add a Dockerfile or a compose.yaml at the root",
    );
    expect(() => detectSource(fixture("detect-dockerfile-only"), "compose")).toThrow(/no compose file/);
  });
});

describe("migration detection", () => {
  it("detects Prisma with a migrations folder and runs migrate deploy", () => {
    expect(detectMigrations(fixture("migrations-prisma"))).toEqual([
      {
        tool: "prisma",
        directory: ".",
        evidence: ["prisma/schema.prisma", "prisma/migrations"],
        command: ["npx", "prisma", "migrate", "deploy"],
      },
    ]);
  });

  it("detects Entity Framework Core from the Design package and the model snapshot", () => {
    const [migration] = detectMigrations(fixture("migrations-efcore"));
    expect(migration).toMatchObject({
      tool: "entity-framework",
      directory: "src/Api",
      evidence: ["src/Api/Api.csproj", "src/Api/Migrations/AppDbContextModelSnapshot.cs"],
      command: ["dotnet", "ef", "database", "update", "--project", "Api.csproj"],
    });
    expect(migration!.note).toContain("dotnet-ef");
  });

  it("detects Alembic in a subdirectory and runs upgrade head there", () => {
    expect(detectMigrations(fixture("migrations-alembic"))).toEqual([
      {
        tool: "alembic",
        directory: "backend",
        evidence: ["backend/alembic.ini"],
        command: ["alembic", "upgrade", "head"],
      },
    ]);
  });

  it("finds nothing in a repository without migrations", () => {
    expect(detectMigrations(fixture("basic-image"))).toEqual([]);
  });
});
