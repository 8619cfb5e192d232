import * as path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allCreated,
  findCreated,
  resetCreated,
  resolveOutput,
  secretInput,
  settle,
  setupMocks,
} from "../mocks";

let RepoRun: typeof import("../../../components/run/repo-run").RepoRun;
let provider: import("@pulumi/kubernetes").Provider;

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "repos");
const ECR = "123456789012.dkr.ecr.eu-central-1.amazonaws.com";
const credentials = { server: ECR, username: "AWS", password: "ecr-token-value" };

beforeAll(async () => {
  await setupMocks();
  ({ RepoRun } = await import("../../../components/run/repo-run"));
  provider = new (await import("@pulumi/kubernetes")).Provider("cluster", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

const runOf = (fixture: string, extra: Record<string, unknown> = {}) =>
  new RepoRun("run-abc12345", {
    runId: "abc12345",
    sourceDir: path.join(FIXTURES, fixture),
    commitSha: "0123456789abcdef0123456789abcdef01234567",
    provider,
    imageLoader: { method: "registry", registry: ECR },
    ...extra,
  });

describe("RepoRun in hybrid mode", () => {
  it("pushes to ECR after logging in with the token, which reaches the build only as a secret", async () => {
    const run = runOf("hello-dockerfile", { imagePullSecret: credentials });
    await settle();
    const images = await resolveOutput(run.images);
    expect(images.app).toMatch(new RegExp(`^${ECR.replace(/\./g, "\\.")}/reporunner/app:[0-9a-f]{16}$`));
    const build = findCreated("command:local:Command", "run-abc12345-image-app").inputs;
    const login = build.create.indexOf("docker login --username");
    expect(login).toBeGreaterThan(build.create.indexOf("docker build"));
    expect(build.create.indexOf(`docker push ${images.app}`)).toBeGreaterThan(login);
    expect(build.create).toContain('DOCKER_CONFIG="$(mktemp -d)"');
    expect(build.create).not.toContain("ecr-token-value");
    expect(secretInput(build.environment)).toMatchObject({
      REGISTRY_SERVER: ECR,
      REGISTRY_USERNAME: "AWS",
      REGISTRY_PASSWORD: "ecr-token-value",
    });
  });

  it("gives the namespace a dockerconfigjson pull Secret that every pod names", async () => {
    runOf("three-tier", { imagePullSecret: credentials });
    await settle();
    const secret = findCreated("kubernetes:core/v1:Secret", "run-abc12345-pull-secret").inputs;
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    expect(secret.metadata).toMatchObject({ name: "registry-pull", namespace: "run-abc12345" });
    expect(secret.metadata.labels["reporunner.dev/run-id"]).toBe("abc12345");
    const config = JSON.parse(
      (secretInput(secret.stringData) as Record<string, string>)[".dockerconfigjson"],
    );
    expect(config.auths[ECR]).toEqual({
      username: "AWS",
      password: "ecr-token-value",
      auth: Buffer.from("AWS:ecr-token-value").toString("base64"),
    });
    const workloads = allCreated().filter(
      (r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:StatefulSet",
    );
    expect(workloads.length).toBeGreaterThan(1);
    for (const workload of workloads) {
      expect(workload.inputs.spec.template.spec.imagePullSecrets, workload.name).toEqual([
        { name: "registry-pull" },
      ]);
    }
  });

  it("neither logs in nor makes a pull Secret without registry credentials", async () => {
    runOf("hello-dockerfile");
    await settle();
    expect(findCreated("command:local:Command", "run-abc12345-image-app").inputs.create).not.toContain(
      "docker login",
    );
    expect(allCreated("kubernetes:core/v1:Secret").map((s) => s.name)).not.toContain(
      "run-abc12345-pull-secret",
    );
    const deployment = findCreated("kubernetes:apps/v1:Deployment", "run-abc12345-deployment-app").inputs;
    expect(deployment.spec.template.spec.imagePullSecrets).toBeUndefined();
  });
});
