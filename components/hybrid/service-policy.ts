import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const SERVICE_POLICY_TYPE = "reporunner:hybrid:ServicePolicy";

/** What the RepoRunner service touches in AWS, by ARN. */
export interface ServiceAccess {
  /** The state bucket. */
  readonly bucketArn: string;
  /** Repositories of run images, e.g. `arn:aws:ecr:eu-west-1:123456789012:repository/reporunner/*`. */
  readonly repositoryArnPattern: string;
  /** The KMS key of an `awskms://` secrets provider, if stacks use one. */
  readonly secretsKeyArn?: string;
}

/**
 * The least-privilege policy of the RepoRunner service (API server and workers): read and write the
 * state objects (Pulumi's S3 backend lists, reads, writes and deletes objects under `.pulumi/`,
 * locks included), push and pull run images, and get ECR tokens for the pull secret. Nothing that
 * creates, reconfigures or deletes the bucket or the registry: that is the bootstrap stack's (or
 * Terraform's) job, run by a person with wider rights. No DynamoDB: Pulumi does not lock there.
 */
export function servicePolicyDocument(access: ServiceAccess): string {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "ListState",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: access.bucketArn,
      Condition: { StringLike: { "s3:prefix": [".pulumi/*", ".pulumi"] } },
    },
    {
      Sid: "ReadWriteState",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: `${access.bucketArn}/.pulumi/*`,
    },
    {
      // GetAuthorizationToken has no resource-level permissions: `*` is the only resource it takes.
      Sid: "RegistryToken",
      Effect: "Allow",
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    },
    {
      Sid: "PushPullRunImages",
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:DescribeImages",
        // A repository made on first push (the creation template) is made by the pusher.
        "ecr:CreateRepository",
        "ecr:TagResource",
      ],
      Resource: access.repositoryArnPattern,
    },
  ];
  if (access.secretsKeyArn) {
    statements.push({
      Sid: "StackSecrets",
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
      Resource: access.secretsKeyArn,
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export interface ServicePolicyArgs {
  readonly bucketArn: pulumi.Input<string>;
  readonly repositoryArnPattern: pulumi.Input<string>;
  /** The KMS key of an `awskms://` secrets provider; unset when stacks use a passphrase. */
  readonly secretsKeyArn?: pulumi.Input<string>;
  /** The policy's name (default `reporunner-service`). */
  readonly policyName?: pulumi.Input<string>;
  /** The AWS provider: region and credentials (the SDK's default chain) come from it. */
  readonly provider: aws.Provider;
}

/**
 * The managed IAM policy above, for the team to attach to the role or SSO permission set the service
 * runs as. RepoRunner stores no credentials: the service gets them from the AWS SDK's default chain.
 */
export class ServicePolicy extends pulumi.ComponentResource {
  public readonly policyArn: pulumi.Output<string>;

  constructor(name: string, args: ServicePolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SERVICE_POLICY_TYPE, name, {}, opts);
    const policy = new aws.iam.Policy(
      `${name}-policy`,
      {
        name: args.policyName ?? "reporunner-service",
        description: "RepoRunner: state objects, run images and ECR tokens (hybrid mode)",
        policy: pulumi
          .all([args.bucketArn, args.repositoryArnPattern, args.secretsKeyArn])
          .apply(([bucketArn, repositoryArnPattern, secretsKeyArn]) =>
            servicePolicyDocument({ bucketArn, repositoryArnPattern, secretsKeyArn }),
          ),
      },
      { parent: this, provider: args.provider },
    );
    this.policyArn = policy.arn;
    this.registerOutputs({ policyArn: this.policyArn });
  }
}
