import { describe, expect, it } from "vitest";
import type { RunView } from "../../../automation/cli/api-client";
import { runTable } from "../../../automation/cli/commands/ls";

const now = Date.parse("2026-01-02T00:00:00.000Z");

function run(fields: Partial<RunView>): RunView {
  return {
    id: "abcdefghij",
    status: "READY",
    repoUrl: "https://github.com/org/app.git",
    ref: null,
    reason: null,
    commitSha: null,
    previewUrls: {},
    createdAt: "2026-01-01T23:58:00.000Z",
    ...fields,
  };
}

describe("runTable", () => {
  it("shows the repository without scheme and .git, short commits and snapshots, the age and the previews", () => {
    const table = runTable(
      [
        run({
          ref: "main",
          previewUrls: { web: "http://localhost:30080/a/", api: "http://localhost:30080/b/" },
        }),
        run({
          id: "k3x9a7b2qd",
          status: "FAILED",
          repoUrl: "/home/me/app",
          ref: "0123456789abcdef0123456789abcdef01234567",
          createdAt: "2026-01-01T21:00:00.000Z",
        }),
        run({
          id: "zzzzzzzzzz",
          repoUrl: "/home/me/app",
          ref: "refs/reporunner/snapshots/89abcdef0123",
          createdAt: "2025-12-30T00:00:00.000Z",
        }),
      ],
      now,
    );
    expect(table.split("\n")).toEqual([
      "ID          STATUS  REPO                           AGE  PREVIEW",
      "abcdefghij  READY   github.com/org/app@main        2m   http://localhost:30080/a/ (+1)",
      "k3x9a7b2qd  FAILED  /home/me/app@0123456           3h   -",
      "zzzzzzzzzz  READY   /home/me/app@snapshot:89abcde  3d   -",
      "",
    ]);
  });

  it("shows a TCP preview, which has no gateway URL, by its local tcp:// URL", () => {
    const tcpOnly = run({
      previewUrls: {},
      localUrls: { db: "tcp://localhost:5432" },
    });
    const both = run({
      id: "k3x9a7b2qd",
      previewUrls: { web: "http://localhost:30080/run-k3x9a7b2qd/web/" },
      localUrls: { db: "tcp://localhost:5432", web: "http://localhost:8088" },
    });
    const rows = runTable([tcpOnly, both], now).split("\n");
    expect(rows[1]).toMatch(/ tcp:\/\/localhost:5432$/);
    expect(rows[2]).toMatch(/ http:\/\/localhost:30080\/run-k3x9a7b2qd\/web\/ \(\+1\)$/);
  });
});
