import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { s3BackendUrl } from "./backend-url";

export const STATE_BUCKET_TYPE = "reporunner:hybrid:StateBucket";

export interface StateBucketArgs {
  /**
   * The bucket's name (globally unique). Unset: a name made from `reporunner-state-` and a random
   * suffix. Changing it replaces the bucket, and with it every stack's state: move the state first.
   */
  readonly bucketName?: pulumi.Input<string>;
  /** Days an overwritten or deleted state file is kept as a noncurrent version (default 90). */
  readonly noncurrentVersionDays?: number;
  /** How many noncurrent versions of each file are kept whatever their age (default 10). */
  readonly keepNoncurrentVersions?: number;
  /** A KMS key for SSE-KMS; unset: SSE-S3 (AES256), which needs no key policy. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Let `pulumi destroy` delete a bucket that still holds state (default false: it refuses). */
  readonly forceDestroy?: boolean;
  /**
   * Take over an existing bucket named `bucketName` (one the Terraform baseline made) instead of
   * creating one: every part is imported on the next `pulumi up`, which fails and shows the
   * difference if its settings are not the ones above. Remove the flag once the import is done.
   */
  readonly adopt?: boolean;
  /** An S3-compatible endpoint the backend URL should name (the provider's); unset: AWS. */
  readonly endpoint?: string;
  /** The AWS provider: region and credentials (the SDK's default chain) come from it. */
  readonly provider: aws.Provider;
}

/** One rule of a bucket lifecycle configuration, as `aws.s3.BucketLifecycleConfiguration` takes it. */
export type LifecycleRule = aws.types.input.s3.BucketLifecycleConfigurationRule;

/**
 * The lifecycle of a state bucket: old noncurrent versions expire (every write of a state file makes
 * one), delete markers left alone are removed, and abandoned multipart uploads are cleaned up.
 * Current versions never expire: they are the state.
 */
export function stateLifecycleRules(noncurrentDays: number, keepVersions: number): LifecycleRule[] {
  return [
    {
      id: "expire-noncurrent-state-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays, newerNoncurrentVersions: keepVersions },
      expiration: { expiredObjectDeleteMarker: true },
    },
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
}

/** A bucket policy that refuses every request not made over TLS (`aws:SecureTransport` false). */
export function tlsOnlyPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/**
 * The S3 bucket that holds the state of every stack (Pulumi under `.pulumi/`, the Terraform baseline
 * under its own key): versioned, encrypted at rest, never public, reachable only over TLS, and with
 * old versions expiring so that the history of a busy run stack does not grow forever.
 */
export class StateBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** `s3://<bucket>?region=<region>`: what `PULUMI_BACKEND_URL` is set to (see `backend-url.ts`). */
  public readonly backendUrl: pulumi.Output<string>;

  constructor(name: string, args: StateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super(STATE_BUCKET_TYPE, name, {}, opts);
    const days = args.noncurrentVersionDays ?? 90;
    if (!Number.isInteger(days) || days < 1) {
      throw new pulumi.ResourceError(`noncurrentVersionDays must be a whole number ≥ 1, got ${days}`, this);
    }
    const keep = args.keepNoncurrentVersions ?? 10;
    if (!Number.isInteger(keep) || keep < 1 || keep > 100) {
      throw new pulumi.ResourceError(`keepNoncurrentVersions must be 1–100, got ${keep}`, this);
    }
    if (args.adopt && typeof args.bucketName !== "string") {
      throw new pulumi.ResourceError("adopt needs the existing bucket's name in bucketName", this);
    }
    // Every part of a bucket is imported by the bucket's name.
    const opt = {
      parent: this,
      provider: args.provider,
      ...(args.adopt ? { import: args.bucketName as string } : {}),
    };

    const bucket = createBucket(name, args, opt);
    // Every other part depends on the bucket only: they are created side by side.
    createVersioning(name, bucket, opt);
    createEncryption(name, bucket, args.kmsKeyArn, opt);
    const publicAccess = createPublicAccessBlock(name, bucket, opt);
    // Ownership enforced: ACLs are off, so no object can be made public through one.
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      opt,
    );
    // S3 rejects a bucket policy while a public access block is being applied: policy after block.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      { bucket: bucket.bucket, policy: bucket.arn.apply(tlsOnlyPolicy) },
      { ...opt, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.bucket, rules: stateLifecycleRules(days, keep) },
      opt,
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.backendUrl = pulumi
      .all([bucket.bucket, bucket.region])
      .apply(([b, r]) => s3BackendUrl({ bucket: b, region: r, endpoint: args.endpoint }));
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      backendUrl: this.backendUrl,
    });
  }
}

type ChildOptions = { parent: pulumi.Resource; provider: aws.Provider; import?: string };

/** The bucket itself; its name is fixed at creation (a new name is a new bucket). */
export function createBucket(name: string, args: StateBucketArgs, opts: ChildOptions): aws.s3.Bucket {
  return new aws.s3.Bucket(
    `${name}-bucket`,
    {
      bucket: args.bucketName,
      bucketPrefix: args.bucketName === undefined ? "reporunner-state-" : undefined,
      forceDestroy: args.forceDestroy ?? false,
      tags: { "reporunner.dev/purpose": "state" },
    },
    // State outlives a mistaken `pulumi destroy` of the bootstrap stack unless forceDestroy says so.
    { ...opts, protect: !(args.forceDestroy ?? false) },
  );
}

/** Versioning: every write of a state file keeps the previous one, so a bad update can be undone. */
export function createVersioning(name: string, bucket: aws.s3.Bucket, opts: ChildOptions) {
  return new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
}

/** Default encryption: SSE-KMS with the given key, or SSE-S3. Bucket keys cut KMS requests. */
export function createEncryption(
  name: string,
  bucket: aws.s3.Bucket,
  kmsKeyArn: pulumi.Input<string> | undefined,
  opts: ChildOptions,
) {
  return new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.bucket,
      rules: [
        {
          applyServerSideEncryptionByDefault:
            kmsKeyArn === undefined
              ? { sseAlgorithm: "AES256" }
              : { sseAlgorithm: "aws:kms", kmsMasterKeyId: kmsKeyArn },
          bucketKeyEnabled: kmsKeyArn !== undefined,
        },
      ],
    },
    opts,
  );
}

/** All four public access switches on: no ACL or policy can make state public. */
export function createPublicAccessBlock(name: string, bucket: aws.s3.Bucket, opts: ChildOptions) {
  return new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucket.bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
}
