import type * as aws from "@pulumi/aws";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findCreated, resetCreated, resolveOutput, settle, setupMocks } from "../mocks";

let StateBucket: typeof import("../../../components/hybrid/state-bucket").StateBucket;
let provider: aws.Provider;

beforeAll(async () => {
  await setupMocks();
  ({ StateBucket } = await import("../../../components/hybrid/state-bucket"));
  const awsModule = await import("@pulumi/aws");
  provider = new awsModule.Provider("aws", { region: "eu-central-1" });
});
beforeEach(resetCreated);

const S3 = "aws:s3/";

describe("the state bucket", () => {
  it("is versioned, so a bad update of a stack's state can be rolled back", async () => {
    new StateBucket("state", { bucketName: "team-state", provider });
    await settle();
    const versioning = findCreated(`${S3}bucketVersioning:BucketVersioning`, "state-versioning").inputs;
    expect(versioning.bucket).toBe("team-state");
    expect(versioning.versioningConfiguration).toEqual({ status: "Enabled" });
  });

  it("encrypts every object with SSE-S3 by default, and with the given KMS key when there is one", async () => {
    new StateBucket("state", { bucketName: "team-state", provider });
    new StateBucket("kms", {
      bucketName: "kms-state",
      kmsKeyArn: "arn:aws:kms:eu-central-1:1:key/k",
      provider,
    });
    await settle();
    const type = `${S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`;
    expect(findCreated(type, "state-encryption").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false },
    ]);
    expect(findCreated(type, "kms-encryption").inputs.rules).toEqual([
      {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: "arn:aws:kms:eu-central-1:1:key/k",
        },
        bucketKeyEnabled: true,
      },
    ]);
  });

  it("blocks every kind of public access and turns ACLs off", async () => {
    new StateBucket("state", { bucketName: "team-state", provider });
    await settle();
    expect(
      findCreated(`${S3}bucketPublicAccessBlock:BucketPublicAccessBlock`, "state-public-access").inputs,
    ).toEqual({
      bucket: "team-state",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      findCreated(`${S3}bucketOwnershipControls:BucketOwnershipControls`, "state-ownership").inputs.rule,
    ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
  });

  it("denies any request that does not come over TLS, on the bucket and on its objects", async () => {
    new StateBucket("state", { bucketName: "team-state", provider });
    await settle();
    const policy = JSON.parse(findCreated(`${S3}bucketPolicy:BucketPolicy`, "state-tls-only").inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::team-state", "arn:aws:s3:::team-state/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("expires old noncurrent versions but never the current state", async () => {
    new StateBucket("state", {
      bucketName: "team-state",
      noncurrentVersionDays: 30,
      keepNoncurrentVersions: 5,
      provider,
    });
    await settle();
    const rules = findCreated(
      `${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`,
      "state-lifecycle",
    ).inputs.rules as Record<string, any>[];
    const noncurrent = rules.find((r) => r.id === "expire-noncurrent-state-versions")!;
    expect(noncurrent.status).toBe("Enabled");
    expect(noncurrent.noncurrentVersionExpiration).toEqual({
      noncurrentDays: 30,
      newerNoncurrentVersions: 5,
    });
    expect(noncurrent.expiration).toEqual({ expiredObjectDeleteMarker: true });
    for (const rule of rules) expect(rule.expiration?.days).toBeUndefined();
    expect(rules.find((r) => r.id === "abort-incomplete-uploads")!.abortIncompleteMultipartUpload).toEqual({
      daysAfterInitiation: 7,
    });
  });

  it("keeps 90 days of noncurrent versions by default and protects the bucket from deletion", async () => {
    new StateBucket("state", { provider });
    await settle();
    const bucket = findCreated(`${S3}bucket:Bucket`, "state-bucket");
    expect(bucket.inputs.bucketPrefix).toBe("reporunner-state-");
    expect(bucket.inputs.forceDestroy).toBe(false);
    const rules = findCreated(
      `${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`,
      "state-lifecycle",
    ).inputs.rules as Record<string, any>[];
    expect(rules[0].noncurrentVersionExpiration.noncurrentDays).toBe(90);
  });

  it("creates every part through the given AWS provider", async () => {
    new StateBucket("state", { bucketName: "team-state", provider });
    await settle();
    for (const [type, name] of [
      ["bucket:Bucket", "state-bucket"],
      ["bucketVersioning:BucketVersioning", "state-versioning"],
      ["bucketPolicy:BucketPolicy", "state-tls-only"],
      ["bucketLifecycleConfiguration:BucketLifecycleConfiguration", "state-lifecycle"],
    ]) {
      expect(findCreated(`${S3}${type}`, name).provider, name).toMatch(/::aws::/);
    }
  });

  it("offers the bucket as a Pulumi backend URL, with the endpoint of an S3-compatible store", async () => {
    const aws = new StateBucket("state", { bucketName: "team-state", provider });
    const compatible = new StateBucket("minio", {
      bucketName: "minio-state",
      endpoint: "http://127.0.0.1:9000",
      provider,
    });
    expect(await resolveOutput(aws.backendUrl)).toBe("s3://team-state?region=eu-central-1");
    expect(await resolveOutput(compatible.backendUrl)).toBe(
      "s3://minio-state?region=eu-central-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&use_path_style=true",
    );
  });

  it("refuses a retention that is not a whole number of days, naming the field", () => {
    expect(() => new StateBucket("bad", { noncurrentVersionDays: 0, provider })).toThrow(
      /noncurrentVersionDays must be a whole number/,
    );
  });
});
