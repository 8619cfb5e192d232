import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashToken } from "../../../automation/api/auth";
import { loadConfig } from "../../../automation/config";

describe("loadConfig", () => {
  it("defaults to 127.0.0.1:7380 (not 8080, which apps publish most), https only, no private targets, no local sources", () => {
    const c = loadConfig({});
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(7380);
    expect(c.urlPolicy).toEqual({
      allowHttp: false,
      allowedHosts: [],
      allowPrivateTargets: false,
      allowLocalSources: false,
    });
    expect(c.tokens.size).toBe(0);
  });

  it("names every wrong variable", () => {
    expect(() => loadConfig({ REPORUNNER_PORT: "http", REPORUNNER_WORKERS: "-1" })).toThrow(
      /REPORUNNER_PORT[\s\S]*REPORUNNER_WORKERS/,
    );
    expect(() => loadConfig({ REPORUNNER_REDIS_URL: "http://x" })).toThrow(/REPORUNNER_REDIS_URL/);
  });

  it("reads hashed tokens from the variable and the file, never plain ones", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "tokens");
    writeFileSync(file, `# owners\nbob sha256:${hashToken("b")}\n`);
    const c = loadConfig({
      REPORUNNER_TOKENS: `alice=sha256:${hashToken("a")}`,
      REPORUNNER_TOKENS_FILE: file,
    });
    expect(c.tokens.get(hashToken("a"))).toBe("alice");
    expect(c.tokens.get(hashToken("b"))).toBe("bob");
    expect(() => loadConfig({ REPORUNNER_TOKENS: "alice=plain-secret-token" })).toThrow(
      /REPORUNNER_TOKENS: an entry is not/,
    );
    try {
      loadConfig({ REPORUNNER_TOKENS: "alice=plain-secret-token" });
    } catch (err) {
      expect(String(err)).not.toContain("plain-secret-token");
    }
  });

  it("parses lists and booleans", () => {
    const c = loadConfig({
      REPORUNNER_ALLOWED_HOSTS: "GitHub.com, .example.org",
      REPORUNNER_ALLOW_HTTP: "true",
    });
    expect(c.urlPolicy.allowedHosts).toEqual(["github.com", ".example.org"]);
    expect(c.urlPolicy.allowHttp).toBe(true);
  });
});
