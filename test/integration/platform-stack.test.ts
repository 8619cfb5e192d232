import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulumiEnvironment } from "../../automation/local/api-environment";
import { homeFiles, readOrCreateSecret } from "../../automation/local/home";
import { destroyPlatform, platformStack, upPlatform } from "../../automation/local/platform-stack";
import { kubectl, PROJECT_DIR, redisOnlyPlatformConfig, useTestEnvironment } from "./support/testenv";

/**
 * `npm start`'s platform stack (automation/local/platform-stack.ts) on the test cluster, Redis only:
 * a stack the previous release made (its program run by a language host from the checkout) is taken
 * over by the program run in this process, with nothing to change and its generated password kept.
 */
const suffix = Date.now().toString(36);
const namespace = `platform-stack-${suffix}`;
const home = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-platform-stack-"));
let stack: Stack;
let config: ConfigMap;
let settingsFile: string;
/** The Redis password the first `up` generated, as its Secret holds it. */
let password: string;

function redisPassword(): string {
  const data = kubectl([
    "get",
    "secret",
    "-n",
    namespace,
    "redis-credentials",
    "-o",
    "jsonpath={.data.password}",
  ]);
  return Buffer.from(data, "base64").toString();
}

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  fs.mkdirSync(homeFiles(home).state, { recursive: true });
  readOrCreateSecret(homeFiles(home).passphrase, () => randomBytes(32).toString("base64url"));
  const pulumiEnv = pulumiEnvironment(home, {
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  });
  // The passphrase file is this home's; one inherited from the shell would win over it.
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  config = redisOnlyPlatformConfig(env, namespace);
  stack = await platformStack({ home, projectDir: PROJECT_DIR, pulumiEnv });
  settingsFile = path.join(home, "project", `Pulumi.${stack.name}.yaml`);
  // What the previous release did: the config written, then the program run by a language host.
  await stack.setAllConfig(config);
  await stack.up();
  password = redisPassword();
});

afterAll(async () => {
  if (stack) await destroyPlatform(stack, () => undefined);
  fs.rmSync(home, { recursive: true, force: true });
});

/** The lines of Pulumi's summary: what follows "Resources:" up to "Duration:". */
function summary(lines: string[]): string[] {
  const from = lines.findIndex((line) => line.trim() === "Resources:");
  const to = lines.findIndex((line) => line.trim().startsWith("Duration:"));
  return lines
    .slice(from + 1, to)
    .map((line) => line.trim())
    .filter(Boolean);
}

describe("the platform stack run by `npm start`", () => {
  it("takes over a stack a language host made: nothing changes and the generated password stays", async () => {
    const lines: string[] = [];
    const outputs = await upPlatform(stack, config, (line) => lines.push(line));
    expect(summary(lines)).toEqual([expect.stringMatching(/^\d+ unchanged$/)]);
    expect(redisPassword()).toBe(password);
    const endpoints = outputs.endpoints as { redis: string };
    expect(endpoints.redis).toBe(`redis://:${password}@redis.${namespace}.svc.cluster.local:6379`);
    // Pulumi's own output never shows a secret.
    expect(lines.join("\n")).not.toContain(password);
  });

  it("returns the outputs as `pulumi stack output` has them, secrets in plain", async () => {
    const outputs = await upPlatform(stack, config, () => undefined);
    const stored = Object.fromEntries(
      Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value]),
    );
    expect(outputs).toEqual(stored);
    expect(outputs.infraNamespace).toBe(namespace);
    expect(typeof outputs.kubeconfig).toBe("string");
  });

  it("leaves the stack's settings alone when the config has not changed, and writes a changed one", async () => {
    const before = fs.statSync(settingsFile).mtimeMs;
    await upPlatform(stack, config, () => undefined);
    expect(fs.statSync(settingsFile).mtimeMs).toBe(before);

    const profile = { ...config, "reporunner:profile": { value: "dev" } };
    await upPlatform(stack, profile, () => undefined);
    expect(fs.readFileSync(settingsFile, "utf8")).toMatch(/reporunner:profile: dev/);
    expect(redisPassword()).toBe(password);
  });
});
