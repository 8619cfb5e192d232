import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allCreated,
  answerCall,
  findCreated,
  resetCreated,
  resolveOutput,
  settle,
  setupMocks,
} from "../mocks";
import { answerAwsCalls } from "./aws-mocks";

let bootstrap: typeof import("../../../stacks/bootstrap").bootstrap;
let parseBootstrapConfig: typeof import("../../../stacks/bootstrap-config").parseBootstrapConfig;

/** What the Terraform baseline's outputs hold, as `terraform/outputs.tf` names them. */
const terraformOutputs = {
  state_bucket: "tf-state",
  state_bucket_arn: "arn:aws:s3:::tf-state",
  lock_table: "tf-locks",
  registry_url: "210987654321.dkr.ecr.eu-central-1.amazonaws.com",
  repository_arn_pattern: "arn:aws:ecr:eu-central-1:210987654321:repository/reporunner/*",
};
const terraformReads: Record<string, unknown>[] = [];

beforeAll(async () => {
  await setupMocks();
  answerAwsCalls();
  answerCall("terraform:state:getS3Reference", (inputs) => {
    terraformReads.push(inputs);
    return { outputs: terraformOutputs };
  });
  ({ bootstrap } = await import("../../../stacks/bootstrap"));
  ({ parseBootstrapConfig } = await import("../../../stacks/bootstrap-config"));
});
beforeEach(() => {
  resetCreated();
  terraformReads.length = 0;
});

const hybridTypes = () =>
  allCreated()
    .filter((r) => r.type.startsWith("reporunner:"))
    .map((r) => r.type)
    .sort();
const awsRegion = JSON.stringify({ region: "eu-central-1" });

describe("the hybrid bootstrap stack", () => {
  it("creates the state bucket, the lock table, the repositories and the service policy through one AWS provider", async () => {
    const outputs = bootstrap(parseBootstrapConfig({ stack: "bootstrap", aws: awsRegion }));
    await settle();
    expect(hybridTypes()).toEqual([
      "reporunner:hybrid:ImageRepositories",
      "reporunner:hybrid:LockTable",
      "reporunner:hybrid:ServicePolicy",
      "reporunner:hybrid:StateBucket",
    ]);
    const provider = findCreated("pulumi:providers:aws", "aws").inputs;
    expect(provider.region).toBe("eu-central-1");
    // No credentials in config: the provider uses the SDK's default chain.
    expect(provider.accessKey).toBeUndefined();
    expect(provider.secretKey).toBeUndefined();
    for (const r of allCreated().filter((x) => x.type.startsWith("aws:"))) {
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/::aws::/);
    }
    expect(await resolveOutput(outputs.backendUrl)).toBe(
      "s3://reporunner-state-mock0001?region=eu-central-1",
    );
    expect(await resolveOutput(outputs.registryUrl)).toBe("123456789012.dkr.ecr.eu-central-1.amazonaws.com");
    expect(await resolveOutput(outputs.lockTableName)).toBe("reporunner-terraform-locks");
  });

  it("points every AWS service at an S3-compatible endpoint and names it in the backend URL", async () => {
    const outputs = bootstrap(
      parseBootstrapConfig({
        stack: "bootstrap",
        aws: JSON.stringify({ region: "us-east-1", endpoint: "http://127.0.0.1:4566" }),
        state: JSON.stringify({ bucketName: "local-state" }),
      }),
    );
    await settle();
    const provider = findCreated("pulumi:providers:aws", "aws").inputs;
    expect(JSON.parse(provider.endpoints)).toEqual([
      {
        s3: "http://127.0.0.1:4566",
        dynamodb: "http://127.0.0.1:4566",
        ecr: "http://127.0.0.1:4566",
        iam: "http://127.0.0.1:4566",
        sts: "http://127.0.0.1:4566",
      },
    ]);
    expect(await resolveOutput(outputs.backendUrl)).toBe(
      "s3://local-state?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A4566&use_path_style=true",
    );
  });

  it("reads the Terraform baseline's outputs instead of creating the bucket, table and registry", async () => {
    const outputs = bootstrap(
      parseBootstrapConfig({
        stack: "bootstrap",
        aws: awsRegion,
        baseline: "terraform",
        terraform: JSON.stringify({ bucket: "tf-state", key: "baseline/terraform.tfstate" }),
      }),
    );
    await settle();
    expect(hybridTypes()).toEqual(["reporunner:hybrid:ServicePolicy"]);
    expect(
      allCreated()
        .filter((r) => r.type.startsWith("aws:"))
        .map((r) => r.type),
    ).toEqual(["aws:iam/policy:Policy"]);
    expect(await resolveOutput(outputs.backendUrl)).toBe("s3://tf-state?region=eu-central-1");
    expect(await resolveOutput(outputs.registryUrl)).toBe(terraformOutputs.registry_url);
    expect(await resolveOutput(outputs.lockTableName)).toBe("tf-locks");
    expect(terraformReads[0]).toMatchObject({
      bucket: "tf-state",
      key: "baseline/terraform.tfstate",
      region: "eu-central-1",
    });
    const policy = JSON.parse(findCreated("aws:iam/policy:Policy", "service-policy").inputs.policy);
    expect(JSON.stringify(policy)).toContain("arn:aws:s3:::tf-state/.pulumi/*");
    expect(JSON.stringify(policy)).toContain(terraformOutputs.repository_arn_pattern);
  });

  it("leaves out the lock table and the registry scanning switch when config says so", async () => {
    bootstrap(
      parseBootstrapConfig({
        stack: "bootstrap",
        aws: awsRegion,
        lockTable: JSON.stringify({ enabled: false }),
        images: JSON.stringify({ registryScanOnPush: false }),
      }),
    );
    await settle();
    expect(hybridTypes()).not.toContain("reporunner:hybrid:LockTable");
    expect(allCreated("aws:dynamodb/table:Table")).toEqual([]);
    expect(allCreated("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")).toEqual([]);
  });
});

describe("the bootstrap configuration", () => {
  it("needs a region, and names the key when it is missing or wrong", () => {
    expect(() => parseBootstrapConfig({ stack: "bootstrap" })).toThrow(/reporunner:aws/);
    expect(() =>
      parseBootstrapConfig({ stack: "bootstrap", aws: JSON.stringify({ region: "mars" }) }),
    ).toThrow(/reporunner:aws\.region: an AWS region/);
  });

  it("needs the baseline's state location when the baseline is Terraform's", () => {
    expect(() => parseBootstrapConfig({ stack: "bootstrap", aws: awsRegion, baseline: "terraform" })).toThrow(
      /reporunner:terraform: required when baseline is terraform/,
    );
  });

  it("refuses keys it does not know, so a typo is not silently ignored", () => {
    expect(() =>
      parseBootstrapConfig({
        stack: "bootstrap",
        aws: awsRegion,
        state: JSON.stringify({ versioned: false }),
      }),
    ).toThrow(/reporunner:state/);
  });

  it("has defaults for everything but the region", () => {
    const config = parseBootstrapConfig({ stack: "bootstrap", aws: awsRegion });
    expect(config.baseline).toBe("pulumi");
    expect(config.state.noncurrentVersionDays).toBe(90);
    expect(config.lockTable).toEqual({
      enabled: true,
      name: "reporunner-terraform-locks",
      deletionProtection: true,
      adopt: false,
    });
    expect(config.images.runImageDays).toBe(30);
  });
});

describe("moving the baseline from Terraform to Pulumi", () => {
  it("imports the existing bucket, table and repositories instead of creating them", async () => {
    bootstrap(
      parseBootstrapConfig({
        stack: "bootstrap",
        aws: awsRegion,
        state: JSON.stringify({ bucketName: "tf-state", adopt: true }),
        lockTable: JSON.stringify({ name: "tf-locks", adopt: true }),
        images: JSON.stringify({ repositories: ["web"], adopt: true }),
      }),
    );
    await settle();
    const imported = Object.fromEntries(
      allCreated()
        .filter((r) => r.type.startsWith("aws:"))
        .map((r) => [r.name, r.importId]),
    );
    expect(imported).toMatchObject({
      "state-bucket": "tf-state",
      "state-versioning": "tf-state",
      "state-encryption": "tf-state",
      "state-public-access": "tf-state",
      "state-tls-only": "tf-state",
      "state-lifecycle": "tf-state",
      "locks-table": "tf-locks",
      "images-web": "reporunner/web",
      "images-web-lifecycle": "reporunner/web",
      "images-on-push": "reporunner",
    });
    // The service policy is new on either side: it is created, not imported.
    expect(imported["service-policy"]).toBeUndefined();
  });

  it("needs the name of the bucket it is to take over", () => {
    expect(() =>
      parseBootstrapConfig({ stack: "bootstrap", aws: awsRegion, state: JSON.stringify({ adopt: true }) }),
    ).toThrow(/reporunner:state\.bucketName: required with state\.adopt/);
  });
});
