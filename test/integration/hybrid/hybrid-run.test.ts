import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../../automation/engine/run-engine";
import { type ExpiringCredentials, ecrCredentials } from "../../../automation/registry/ecr-token";
import { s3BackendUrl } from "../../../components/hybrid/backend-url";
import { RUN_PULL_SECRET } from "../../../components/run/pull-secret";
import {
  bodyOf,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  useTestEnvironment,
  testEnvironmentEngine,
} from "../support/testenv";
import {
  createBucket,
  createKmsKey,
  listKeys,
  motoS3,
  type StandInRegistry,
  startStandInRegistry,
  uniqueName,
} from "./support";

/**
 * A run in hybrid mode, end to end through the Run API's engine: the run stack's state in an S3
 * bucket (moto) with secrets under a KMS key (moto), the image pushed with an ECR token (moto's
 * GetAuthorizationToken) to the registry that stands in for ECR's endpoint, and the run's pods
 * pulling it with the pull Secret the run stack made from the same token.
 */
let env: Record<string, string>;
let s3: S3Client;
let bucket: string;
let registry: StandInRegistry;
let token: ExpiringCredentials;
let engine: PulumiRunEngine;
let result: DeployResult;
const runId = `hy${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };

beforeAll(async () => {
  env = useTestEnvironment();
  s3 = motoS3();
  bucket = uniqueName("reporunner-hybrid");
  await createBucket(s3, bucket);
  token = await ecrCredentials()();
  registry = await startStandInRegistry(token);
  engine = testEnvironmentEngine(env, {
    target: {
      imageLoader: { method: "registry", registry: registry.host },
      registryCredentials: ecrCredentials({ server: registry.host }),
    },
    pulumiEnv: {
      PULUMI_BACKEND_URL: s3BackendUrl({ bucket, region: env.AWS_REGION, endpoint: env.S3_ENDPOINT }),
      REPORUNNER_SECRETS_PROVIDER: `awskms://${await createKmsKey()}?region=${env.AWS_REGION}`,
    },
  });
  const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
});

afterAll(async () => {
  await engine?.destroy(runId, quiet).catch(() => undefined);
  await registry?.stop();
  // The tag names a registry that is gone: drop it (the layers stay cached).
  if (result?.images.app) execFileSync("docker", ["rmi", result.images.app], { stdio: "ignore" });
});

describe("a run in hybrid mode", () => {
  it("is READY with a preview that answers", async () => {
    expect((await bodyOf(result.previewUrls.app))?.trim()).toBe("hello from reporunner");
  });

  it("pushes its image, named by content hash, to the registry with the ECR token", async () => {
    expect(result.images.app).toMatch(
      new RegExp(`^${registry.host.replace(/\./g, "\\.")}/reporunner/app:[0-9a-f]{16}$`),
    );
    expect(await registry.catalog(token)).toContain("reporunner/app");
  });

  it("pulls it with the namespace's pull Secret, made from the same token", () => {
    const namespace = `run-${runId}`;
    const secret = JSON.parse(kubectl(["get", "secret", "-n", namespace, RUN_PULL_SECRET, "-o", "json"]));
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    const config = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString());
    expect(config.auths[registry.host]).toMatchObject({ username: "AWS", password: token.password });
    const pod = JSON.parse(kubectl(["get", "pods", "-n", namespace, "-o", "json"])).items[0];
    expect(pod.spec.imagePullSecrets).toEqual([{ name: RUN_PULL_SECRET }]);
    expect(pod.spec.containers[0].image).toBe(result.images.app);
    // The reference names this test's registry (a new port each run), so the node had to resolve it
    // there with the Secret; imageID may name another repository with the same digest, so it is not used.
    expect(pod.status.phase).toBe("Running");
    expect(pod.status.containerStatuses[0].ready).toBe(true);
  });

  it("keeps the run stack's state in the bucket, with the token encrypted", async () => {
    const key = `.pulumi/stacks/reporunner/run-${runId}.json`;
    expect(await listKeys(s3, bucket, ".pulumi/stacks/")).toContain(key);
    const state = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body!.transformToString();
    expect(state).toContain("awskms://");
    expect(state).not.toContain(token.password);
  });

  it("leaves no namespace and no state of the run after destroy", async () => {
    await engine.destroy(runId, quiet);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${runId}`);
    expect(await listKeys(s3, bucket, ".pulumi/stacks/")).not.toContain(
      `.pulumi/stacks/reporunner/run-${runId}.json`,
    );
    expect(await engine.listRunStacks()).not.toContain(runId);
  });
});
