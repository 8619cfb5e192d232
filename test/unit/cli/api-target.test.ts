import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveApiTarget } from "../../../automation/cli/api-target";
import { homeFiles, writeInstance } from "../../../automation/local/home";

function homeWith(options: { instanceUrl?: string; token?: string } = {}): string {
  const home = mkdtempSync(join(tmpdir(), "reporunner-home-"));
  if (options.instanceUrl) {
    writeInstance(home, {
      url: options.instanceUrl,
      startedAt: "2026-01-01T00:00:00.000Z",
      cluster: { provider: "kind", createdByUp: true },
    });
  }
  if (options.token) writeFileSync(homeFiles(home).token, `${options.token}\n`, { mode: 0o600 });
  return home;
}

describe("where the CLI finds the Run API", () => {
  it("takes --api first, then REPORUNNER_URL, then instance.json, then http://127.0.0.1:7380", () => {
    const home = homeWith({ instanceUrl: "http://127.0.0.1:8123" });
    const env = { REPORUNNER_HOME: home, REPORUNNER_URL: "http://127.0.0.1:8200/" };
    expect(resolveApiTarget("http://127.0.0.1:8300", env)).toMatchObject({
      url: "http://127.0.0.1:8300",
      urlSource: "--api",
    });
    expect(resolveApiTarget(undefined, env)).toMatchObject({
      url: "http://127.0.0.1:8200",
      urlSource: "REPORUNNER_URL",
    });
    expect(resolveApiTarget(undefined, { REPORUNNER_HOME: home })).toMatchObject({
      url: "http://127.0.0.1:8123",
      urlSource: "instance.json",
    });
    expect(resolveApiTarget(undefined, { REPORUNNER_HOME: homeWith() })).toMatchObject({
      url: "http://127.0.0.1:7380",
      urlSource: "default",
    });
  });

  it("sends REPORUNNER_TOKEN before the token file, and no token when there is neither", () => {
    const home = homeWith({ token: "from-file" });
    expect(
      resolveApiTarget(undefined, { REPORUNNER_HOME: home, REPORUNNER_TOKEN: "from-env" }),
    ).toMatchObject({
      token: "from-env",
      tokenSource: "REPORUNNER_TOKEN",
    });
    expect(resolveApiTarget(undefined, { REPORUNNER_HOME: home })).toMatchObject({
      token: "from-file",
      tokenSource: homeFiles(home).token,
    });
    expect(resolveApiTarget(undefined, { REPORUNNER_HOME: homeWith() }).token).toBeUndefined();
  });

  it("ignores a broken instance.json when the URL is given another way, and names it otherwise", () => {
    const home = homeWith();
    writeFileSync(homeFiles(home).instance, "{not json");
    expect(resolveApiTarget("http://127.0.0.1:8300", { REPORUNNER_HOME: home }).url).toBe(
      "http://127.0.0.1:8300",
    );
    expect(() => resolveApiTarget(undefined, { REPORUNNER_HOME: home })).toThrow(/instance\.json/);
  });
});
