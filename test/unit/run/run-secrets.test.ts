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
  withoutSecrets,
} from "../mocks";

/**
 * A run's environment values are secrets from the request to the pod: these tests plant values in a
 * compose repository that uses them every way compose can (`test/fixtures/repos/secret-env`) and
 * look for them in what the program registers.
 */
let RepoRun: typeof import("../../../components/run/repo-run").RepoRun;
let provider: import("@pulumi/kubernetes").Provider;

const FIXTURE = path.join(__dirname, "..", "..", "fixtures", "repos", "secret-env");
const ENV = {
  API_KEY: "planted-api-key-7f3a",
  DB_PASSWORD: "planted-db-password-91c2",
  BUILD_TOKEN: "planted-build-token-5e8d",
};
const PLANTED = Object.values(ENV);

beforeAll(async () => {
  await setupMocks();
  ({ RepoRun } = await import("../../../components/run/repo-run"));
  const k8s = await import("@pulumi/kubernetes");
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

const runWithSecrets = () =>
  new RepoRun("run-sec12345", {
    runId: "sec12345",
    sourceDir: FIXTURE,
    commitSha: "0123456789abcdef0123456789abcdef01234567",
    provider,
    imageLoader: { method: "containerd-import", containerdAddress: "/run/containerd/containerd.sock" },
    env: ENV,
  });

describe("a run's environment values", () => {
  it("reach the Deployment only as references to the run's Secret, never as literal env values", async () => {
    runWithSecrets();
    await settle();
    const container = findCreated("kubernetes:apps/v1:Deployment", "run-sec12345-deployment-app").inputs.spec
      .template.spec.containers[0];
    expect(container.envFrom).toContainEqual({ secretRef: { name: "run-env" } });
    expect(container.env).toEqual([
      { name: "API_KEY", valueFrom: { secretKeyRef: { name: "run-env", key: "API_KEY" } } },
      { name: "DATABASE_URL", value: "postgres://app:$(DB_PASSWORD)@db:5432/app" },
      { name: "GREETING", value: "hello" },
    ]);
    expect(container.args[2]).toContain("echo '$(API_KEY)' > /tmp/api-key");
    for (const value of PLANTED) expect(JSON.stringify(container)).not.toContain(value);
  });

  it("are secret in every resource input that carries one", async () => {
    runWithSecrets();
    await settle();
    expect(
      secretInput(findCreated("kubernetes:core/v1:Secret", "run-sec12345-env").inputs.stringData),
    ).toEqual(ENV);
    for (const resource of allCreated()) {
      const plain = JSON.stringify(withoutSecrets(resource.inputs));
      for (const value of PLANTED) expect(plain, `${resource.type} ${resource.name}`).not.toContain(value);
    }
  });

  it("reach docker build by name only: the script names variables, the secret environment holds values", async () => {
    runWithSecrets();
    await settle();
    const build = findCreated("command:local:Command", "run-sec12345-image-app").inputs;
    for (const value of PLANTED) expect(build.create).not.toContain(value);
    expect(build.create).toContain('export BUILD_TOKEN="$RR_BUILD_ARG_BUILD_TOKEN"');
    expect(build.create).toMatch(/docker build --tag \S+ --build-arg BUILD_TOKEN --file /);
    expect(secretInput(build.environment)).toEqual({ RR_BUILD_ARG_BUILD_TOKEN: ENV.BUILD_TOKEN });
  });

  it("never hands the build a value for an argument the run does not set, such as the API's own variables", async () => {
    runWithSecrets();
    await settle();
    const build = findCreated("command:local:Command", "run-sec12345-image-app").inputs;
    for (const name of ["MONGODB_URL", "REDIS_URL", "REPORUNNER_MONGODB_URL", "AWS_SECRET_ACCESS_KEY"]) {
      expect(build.create).not.toContain(`--build-arg ${name}`);
      expect(build.create).not.toContain(`export ${name}=`);
    }
  });

  it("are not in the run's outputs", async () => {
    const run = runWithSecrets();
    const outputs = await resolveOutput(
      (await import("@pulumi/pulumi")).all([run.images, run.warnings, run.previewTargets]),
    );
    for (const value of PLANTED) expect(JSON.stringify(outputs)).not.toContain(value);
  });
});

describe("a run stack's configuration", () => {
  it("holds the run's environment only as a secret value", async () => {
    const { runStackConfig } = await import("../../../stacks/run-config");
    const config = runStackConfig(
      {
        runId: "sec12345",
        sourceDir: FIXTURE,
        commitSha: "0123456789abcdef0123456789abcdef01234567",
        imageLoader: { method: "none" },
      },
      { kubeconfig: "{}", env: ENV },
    );
    expect(config["reporunner:runEnv"]).toEqual({ value: JSON.stringify(ENV), secret: true });
    const plain = Object.values(config).filter((entry) => !entry.secret);
    for (const value of PLANTED) expect(JSON.stringify(plain)).not.toContain(value);
  });
});
