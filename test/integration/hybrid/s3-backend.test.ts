import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearStaleLock } from "../../../automation/engine/stale-lock";
import { workspaceBackend } from "../../../automation/engine/workspace-backend";
import { s3BackendUrl } from "../../../components/hybrid/backend-url";
import { eventually, PROJECT_DIR, useTestEnvironment } from "../support/testenv";
import { createBucket, createKmsKey, listKeys, motoS3, outputsOnlyProject, uniqueName } from "./support";

/**
 * Pulumi state in S3 for real: the Pulumi CLI built here (gocloud s3blob) against moto on loopback,
 * stack secrets encrypted with a KMS key in moto (`awskms://`), driven through the Automation API
 * the way the engine drives run stacks.
 */
let env: Record<string, string>;
let s3: S3Client;
let bucket: string;
let backendUrl: string;
let secretsProvider: string;
let projectDir: string;
const stackName = uniqueName("state");
const crashedStack = uniqueName("crashed");

/** A workspace as the engine makes one: backend and secrets provider from its environment only. */
async function workspace(workDir: string): Promise<LocalWorkspace> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-pulumi-home-"));
  const envVars: Record<string, string> = {
    ...env,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: backendUrl,
    REPORUNNER_SECRETS_PROVIDER: secretsProvider,
  };
  delete envVars.PULUMI_CONFIG_PASSPHRASE;
  const backend = workspaceBackend(envVars);
  expect(backend).toEqual({ backendUrl, secretsProvider });
  return LocalWorkspace.create({ workDir, envVars, secretsProvider: backend.secretsProvider });
}

const stateKey = (stack: string) => `.pulumi/stacks/reporunner-hybrid-it/${stack}.json`;
const lockKeys = async (stack: string) =>
  (await listKeys(s3, bucket, ".pulumi/locks/")).filter((k) => k.split("/")[4] === stack);

beforeAll(async () => {
  env = useTestEnvironment();
  s3 = motoS3();
  bucket = uniqueName("reporunner-state");
  await createBucket(s3, bucket);
  secretsProvider = `awskms://${await createKmsKey()}?region=${env.AWS_REGION}`;
  backendUrl = s3BackendUrl({ bucket, region: env.AWS_REGION, endpoint: env.S3_ENDPOINT });
  projectDir = outputsOnlyProject(PROJECT_DIR);
});

afterAll(async () => {
  const ws = await workspace(projectDir);
  for (const name of [stackName, crashedStack]) {
    await clearStaleLock(backendUrl, name).catch(() => undefined);
    await ws.removeStack(name, { force: true }).catch(() => undefined);
  }
});

describe("a stack with its state in S3", () => {
  beforeAll(async () => {
    const stack = await Stack.create(stackName, await workspace(projectDir));
    await stack.up();
  });

  it("writes its state into the bucket, with the secret encrypted by the KMS key", async () => {
    const keys = await listKeys(s3, bucket, ".pulumi/");
    expect(keys).toContain(stateKey(stackName));
    expect(keys.some((k) => k.startsWith(`.pulumi/history/reporunner-hybrid-it/${stackName}/`))).toBe(true);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey(stackName) }));
    const state = await object.Body!.transformToString();
    expect(state).toContain(secretsProvider);
    expect(state).not.toContain(`kms-protected-${stackName}`);
    expect(await lockKeys(stackName)).toEqual([]);
  });

  it("is read by a second workspace that shares nothing with the first but the bucket", async () => {
    const elsewhere = outputsOnlyProject(PROJECT_DIR);
    expect(fs.existsSync(path.join(elsewhere, `Pulumi.${stackName}.yaml`))).toBe(false);
    const stack = await Stack.select(stackName, await workspace(elsewhere));
    const outputs = await stack.outputs();
    expect(outputs.greeting.value).toBe(`hello from ${stackName}`);
    expect(outputs.token).toEqual({ value: `kms-protected-${stackName}`, secret: true });
    const names = (await stack.workspace.listStacks()).map((s) => s.name);
    expect(names).toContain(stackName);
  });
});

describe("the lock of an update that crashed", () => {
  it("stays in the bucket, blocks the next update, and is removed by clearStaleLock", async () => {
    const ws = await workspace(projectDir);
    await Stack.create(crashedStack, ws);
    // An update killed in the middle, as a worker that dies would leave it.
    const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "-s", crashedStack], {
      cwd: projectDir,
      env: { ...ws.envVars, REPORUNNER_IT_SLOW: "1" },
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => cli.once("exit", resolve));
    try {
      const locks = await eventually("the update to take its lock", async () => {
        const keys = await lockKeys(crashedStack);
        return keys.length > 0 ? keys : undefined;
      });
      expect(locks[0]).toMatch(
        new RegExp(`^\\.pulumi/locks/organization/reporunner-hybrid-it/${crashedStack}/.+\\.json$`),
      );
    } finally {
      process.kill(-cli.pid!, "SIGKILL");
      await exited;
    }
    expect((await lockKeys(crashedStack)).length).toBeGreaterThan(0);

    const stack = await Stack.select(crashedStack, ws);
    await expect(stack.up()).rejects.toThrow(/locked/);

    const otherKeys = async () => (await listKeys(s3, bucket)).filter((k) => !k.includes(crashedStack));
    const before = await otherKeys();
    await clearStaleLock(backendUrl, crashedStack);
    expect(await lockKeys(crashedStack)).toEqual([]);
    expect(await otherKeys()).toEqual(before);
    const result = await stack.up();
    expect(result.outputs.greeting.value).toBe(`hello from ${crashedStack}`);
  });
});

describe("removing a stack", () => {
  it("leaves none of its state in the bucket", async () => {
    const ws = await workspace(projectDir);
    await (await Stack.select(stackName, ws)).destroy();
    await ws.removeStack(stackName);
    const keys = await listKeys(s3, bucket, ".pulumi/");
    expect(keys).not.toContain(stateKey(stackName));
  });
});
