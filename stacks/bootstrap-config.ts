import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * The configuration of the hybrid bootstrap stack (`reporunner:stack: bootstrap`), read and validated
 * once. Structured keys are set with `pulumi config set --path`; every key has a default but
 * `aws.region`, and `terraform.*` when the baseline is Terraform's.
 */

const awsConfig = z
  .object({
    /** The region of the bucket, the table and the registry. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1"),
    /** A profile of the shared config files; unset: the SDK's default chain (env, SSO, profiles). */
    profile: z.string().min(1).optional(),
    /** An S3/DynamoDB/ECR/IAM-compatible endpoint for every service (LocalStack, moto); unset: AWS. */
    endpoint: z.url().optional(),
  })
  .strict();

const stateConfig = z
  .object({
    /** Unset: `reporunner-state-` and a random suffix. Changing it replaces the bucket. */
    bucketName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
      .optional(),
    noncurrentVersionDays: z.number().int().min(1).default(90),
    keepNoncurrentVersions: z.number().int().min(1).max(100).default(10),
    /** SSE-KMS with this key; unset: SSE-S3. */
    kmsKeyArn: z.string().startsWith("arn:").optional(),
    forceDestroy: z.boolean().default(false),
    /** Import the existing bucket `bucketName` (moving it from Terraform to Pulumi). */
    adopt: z.boolean().default(false),
  })
  .strict();

const lockTableConfig = z
  .object({
    enabled: z.boolean().default(true),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, "a DynamoDB table name")
      .default("reporunner-terraform-locks"),
    deletionProtection: z.boolean().default(true),
    /** Import the existing table `name`. */
    adopt: z.boolean().default(false),
  })
  .strict();

const imagesConfig = z
  .object({
    repositories: z.array(z.string().min(1)).default([]),
    untaggedDays: z.number().int().min(1).default(1),
    runImageDays: z.number().int().min(1).default(30),
    registryScanOnPush: z.boolean().default(true),
    /** Import the existing repositories and creation template. */
    adopt: z.boolean().default(false),
  })
  .strict();

const serviceConfig = z
  .object({
    /** Create the service's IAM policy (default true). */
    policy: z.boolean().default(true),
    policyName: z.string().min(1).default("reporunner-service"),
    /** The KMS key of an `awskms://` secrets provider, which the service must be able to use. */
    secretsKeyArn: z.string().startsWith("arn:").optional(),
  })
  .strict();

/** Where the Terraform baseline keeps its state (its `backend "s3"` block): read, never written. */
const terraformConfig = z
  .object({
    bucket: z.string().min(3),
    key: z.string().min(1).default("reporunner/baseline.tfstate"),
    /** Default: `aws.region`. */
    region: z.string().optional(),
    /** The Terraform workspace (default `default`). */
    workspace: z.string().min(1).optional(),
  })
  .strict();

export const bootstrapConfigSchema = z
  .object({
    stack: z.literal("bootstrap"),
    aws: awsConfig,
    /** `pulumi`: this stack creates the bucket, table and registry. `terraform`: it reads them from the baseline. */
    baseline: z.enum(["pulumi", "terraform"]).default("pulumi"),
    state: stateConfig.prefault({}),
    lockTable: lockTableConfig.prefault({}),
    images: imagesConfig.prefault({}),
    service: serviceConfig.prefault({}),
    terraform: terraformConfig.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.state.adopt && !config.state.bucketName) {
      ctx.addIssue({
        code: "custom",
        path: ["state", "bucketName"],
        message: "required with state.adopt: the bucket to take over",
      });
    }
    if (config.baseline === "terraform" && !config.terraform) {
      ctx.addIssue({
        code: "custom",
        path: ["terraform"],
        message: "required when baseline is terraform: the bucket and key of the baseline's state",
      });
    }
  });

export type BootstrapConfig = z.infer<typeof bootstrapConfigSchema>;

const KEYS = ["stack", "aws", "baseline", "state", "lockTable", "images", "service", "terraform"] as const;
const OBJECT_KEYS = new Set<string>(["aws", "state", "lockTable", "images", "service", "terraform"]);

/** Reads `reporunner:*` from a raw key → value map (strings as Pulumi stores them; objects as JSON). */
export function parseBootstrapConfig(raw: Record<string, string | undefined>): BootstrapConfig {
  const input: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    input[key] = OBJECT_KEYS.has(key) ? parseJson(key, value) : value;
  }
  const parsed = bootstrapConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = ["reporunner", issue.path.join(".")].filter(Boolean).join(":");
      return `${key}: ${issue.message}`;
    });
    throw new Error(`invalid bootstrap stack configuration:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(
      `invalid bootstrap stack configuration: reporunner:${key} must be an object (set it with --path)`,
    );
  }
}

/** Reads and validates the current stack's `reporunner:*` configuration. */
export function readBootstrapConfig(): BootstrapConfig {
  const config = new pulumi.Config("reporunner");
  return parseBootstrapConfig(Object.fromEntries(KEYS.map((key) => [key, config.get(key)])));
}
