import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashToken } from "../../../automation/api/auth";
import { ConfigError, loadConfig } from "../../../automation/config";
import { cliEnvironment, engineOptions } from "../../../automation/engine/engine-config";
import { workspaceBackend } from "../../../automation/engine/workspace-backend";

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

describe("the engine's settings, read with the configuration", () => {
  it("are part of the one configuration object, from the environment it was given", () => {
    const c = loadConfig({
      REPORUNNER_KUBECONFIG: "/etc/reporunner/kubeconfig",
      REPORUNNER_IMAGE_LOAD: "registry:127.0.0.1:5000",
      REPORUNNER_PREVIEW_BASE_URL: "http://localhost:30080",
      REPORUNNER_PROGRAM_HOSTS: "0",
      PATH: "/opt/tools/bin",
    });
    expect(c.engine).toMatchObject({
      kubeconfigPath: "/etc/reporunner/kubeconfig",
      imageLoader: { method: "registry", registry: "127.0.0.1:5000" },
      previewBaseUrl: "http://localhost:30080",
      previewTimeoutMs: 60_000,
      programHosts: 0,
      environment: { PATH: "/opt/tools/bin", REPORUNNER_PROGRAM_HOSTS: "0" },
    });
    expect(c.kubeconfig).toBe("/etc/reporunner/kubeconfig");
    // Without REPORUNNER_KUBECONFIG: the KUBECONFIG of that environment, not of this process.
    expect(loadConfig({ KUBECONFIG: "/a/config:/b/config" }).engine.kubeconfigPath).toBe("/a/config");
  });

  it("names every wrong variable, the service's and the engine's, in one error", () => {
    let error: unknown;
    try {
      loadConfig({
        REPORUNNER_PORT: "http",
        REPORUNNER_IMAGE_LOAD: "docker",
        REPORUNNER_PREVIEW_TIMEOUT_MS: "soon",
        REPORUNNER_PROGRAM_HOSTS: "-1",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      "REPORUNNER_PORT",
      "REPORUNNER_IMAGE_LOAD: must be kind:<cluster>",
      "REPORUNNER_PREVIEW_TIMEOUT_MS",
      "REPORUNNER_PROGRAM_HOSTS",
    ])
      expect(message).toContain(name);
  });

  it("refuses ECR credentials without a registry to push to, naming both variables", () => {
    expect(() => loadConfig({ REPORUNNER_REGISTRY_CREDENTIALS: "ecr" })).toThrow(
      new ConfigError("REPORUNNER_REGISTRY_CREDENTIALS=ecr needs REPORUNNER_IMAGE_LOAD=registry:<ECR host>"),
    );
  });

  it("are all the engine reads: a variable set in this process after loading changes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
    const c = loadConfig({
      REPORUNNER_KUBECONFIG: kubeconfig,
      REPORUNNER_IMAGE_LOAD: "k3d:rr",
      PATH: "/opt/tools/bin",
      PULUMI_BACKEND_URL: `file://${dir}`,
    });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { REPORUNNER_IMAGE_LOAD: "none", PULUMI_BACKEND_URL: "file:///elsewhere" });
      const options = engineOptions(c.engine);
      expect(options.target.imageLoader).toEqual({ method: "k3d-import", clusterName: "rr" });
      const cli = cliEnvironment(options.pulumiEnv, workspaceBackend(options.pulumiEnv));
      expect(cli).toMatchObject({ PATH: "/opt/tools/bin", PULUMI_BACKEND_URL: `file://${dir}` });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it("make the default engine, which names the kubeconfig variable when it cannot read the file", async () => {
    const { createRunEngine } = await import("../../../automation/engine/deferred-engine");
    const config = loadConfig({ REPORUNNER_KUBECONFIG: "/nonexistent/kubeconfig" });
    await expect(createRunEngine({ config })).rejects.toThrow(
      /^REPORUNNER_KUBECONFIG: cannot read \/nonexistent\/kubeconfig/,
    );
  });
});
