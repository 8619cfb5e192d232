import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as terraform from "@pulumi/terraform";
import { s3BackendUrl } from "../components/hybrid/backend-url";
import { ImageRepositories } from "../components/hybrid/image-repositories";
import { LockTable } from "../components/hybrid/lock-table";
import { ServicePolicy } from "../components/hybrid/service-policy";
import { StateBucket } from "../components/hybrid/state-bucket";
import type { BootstrapConfig } from "./bootstrap-config";

/**
 * The outputs of the Terraform baseline (`terraform/outputs.tf`) this stack reads when the baseline
 * is Terraform's. Renaming one there is a breaking change here.
 */
export const TERRAFORM_OUTPUTS = {
  stateBucket: "state_bucket",
  stateBucketArn: "state_bucket_arn",
  lockTable: "lock_table",
  registryUrl: "registry_url",
  repositoryArnPattern: "repository_arn_pattern",
} as const;

/**
 * The hybrid bootstrap stack (e.g. `hybrid-bootstrap`): what hybrid mode needs in AWS — the state
 * bucket, the Terraform lock table, the run image repositories and the service's IAM policy. With
 * `baseline: terraform` the team's Terraform baseline owns the bucket, table and registry: this stack
 * reads them from the baseline's state and creates only the service policy.
 */
export function bootstrap(config: BootstrapConfig) {
  const provider = awsProvider(config.aws);
  const endpoint = config.aws.endpoint;
  const shared = config.baseline === "terraform" ? fromTerraform(config) : createBaseline(config, provider);

  const policy = config.service.policy
    ? new ServicePolicy("service", {
        bucketArn: shared.stateBucketArn,
        repositoryArnPattern: shared.repositoryArnPattern,
        secretsKeyArn: config.service.secretsKeyArn,
        policyName: config.service.policyName,
        provider,
      })
    : undefined;

  return {
    baseline: config.baseline,
    region: config.aws.region,
    /** `PULUMI_BACKEND_URL` of every stack in hybrid mode. */
    backendUrl: pulumi
      .output(shared.stateBucket)
      .apply((bucket) => s3BackendUrl({ bucket, region: config.aws.region, endpoint })),
    stateBucket: shared.stateBucket,
    /** The registry RepoRun pushes run images to (`<account>.dkr.ecr.<region>.amazonaws.com`). */
    registryUrl: shared.registryUrl,
    /** The Terraform backend's `dynamodb_table`. */
    lockTableName: shared.lockTable,
    servicePolicyArn: policy?.policyArn,
  };
}

/** What the rest of hybrid mode needs from the baseline, whoever owns it. */
interface SharedResources {
  readonly stateBucket: pulumi.Input<string>;
  readonly stateBucketArn: pulumi.Input<string>;
  readonly lockTable: pulumi.Input<string | undefined>;
  readonly registryUrl: pulumi.Input<string>;
  readonly repositoryArnPattern: pulumi.Input<string>;
}

/** Baseline owned by this stack. */
function createBaseline(config: BootstrapConfig, provider: aws.Provider): SharedResources {
  const state = new StateBucket("state", {
    bucketName: config.state.bucketName,
    noncurrentVersionDays: config.state.noncurrentVersionDays,
    keepNoncurrentVersions: config.state.keepNoncurrentVersions,
    kmsKeyArn: config.state.kmsKeyArn,
    forceDestroy: config.state.forceDestroy,
    adopt: config.state.adopt,
    endpoint: config.aws.endpoint,
    provider,
  });
  const locks = config.lockTable.enabled
    ? new LockTable("locks", {
        tableName: config.lockTable.name,
        deletionProtection: config.lockTable.deletionProtection,
        adopt: config.lockTable.adopt,
        provider,
      })
    : undefined;
  const images = new ImageRepositories("images", { ...config.images, provider });
  return {
    stateBucket: state.bucketName,
    stateBucketArn: state.bucketArn,
    lockTable: locks?.tableName,
    registryUrl: images.registryUrl,
    repositoryArnPattern: images.repositoryArnPattern,
  };
}

/** Baseline owned by Terraform: its outputs, read from its S3 state (read-only, no lock taken). */
function fromTerraform(config: BootstrapConfig): SharedResources {
  const tf = config.terraform!;
  const provider = new terraform.Provider("terraform");
  const state = terraform.state.getS3ReferenceOutput(
    {
      bucket: tf.bucket,
      key: tf.key,
      region: tf.region ?? config.aws.region,
      workspace: tf.workspace,
      profile: config.aws.profile,
      endpoint: config.aws.endpoint,
      forcePathStyle: config.aws.endpoint !== undefined ? true : undefined,
    },
    { provider },
  );
  const output = (name: string) =>
    state.outputs.apply((outputs) => {
      const value = outputs[name];
      if (typeof value !== "string" || value === "") {
        throw new Error(
          `the Terraform baseline (s3://${tf.bucket}/${tf.key}) has no output "${name}": apply terraform/ first`,
        );
      }
      return value;
    });
  return {
    stateBucket: output(TERRAFORM_OUTPUTS.stateBucket),
    stateBucketArn: output(TERRAFORM_OUTPUTS.stateBucketArn),
    lockTable: output(TERRAFORM_OUTPUTS.lockTable),
    registryUrl: output(TERRAFORM_OUTPUTS.registryUrl),
    repositoryArnPattern: output(TERRAFORM_OUTPUTS.repositoryArnPattern),
  };
}

/** The one AWS provider of the stack: credentials come from the SDK's default chain, never config. */
function awsProvider(config: BootstrapConfig["aws"]): aws.Provider {
  const endpoint = config.endpoint;
  return new aws.Provider("aws", {
    region: config.region,
    profile: config.profile,
    ...(endpoint
      ? {
          endpoints: [{ s3: endpoint, dynamodb: endpoint, ecr: endpoint, iam: endpoint, sts: endpoint }],
          s3UsePathStyle: true,
        }
      : {}),
    defaultTags: { tags: { "app.kubernetes.io/managed-by": "reporunner" } },
  });
}

export type BootstrapOutputs = pulumi.Unwrap<ReturnType<typeof bootstrap>>;
