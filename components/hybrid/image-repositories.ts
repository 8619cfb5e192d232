import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const IMAGE_REPOSITORIES_TYPE = "reporunner:hybrid:ImageRepositories";

export interface ImageRepositoriesArgs {
  /**
   * The namespace of run images (default `reporunner`): RepoRun pushes
   * `<registry>/reporunner/<service>:<content hash>` (`imageReference`), so only another user of
   * this component would change it.
   */
  readonly prefix?: string;
  /**
   * Repositories made up front, below the prefix (`["web", "api"]` → `reporunner/web`, ...). Any
   * other service's repository is made on its first push, from the creation template. Default none.
   */
  readonly repositories?: readonly string[];
  /** Days an untagged image is kept (default 1): layers of a tag that moved on. */
  readonly untaggedDays?: number;
  /** Days a run image is kept after its push (default 30); a later run of that content pushes it again. */
  readonly runImageDays?: number;
  /**
   * Also switch on scan on push, registry-wide, for repositories below the prefix (default true),
   * which covers the repositories made on first push. The registry's scanning configuration is
   * one per account and region: set false when the team's baseline owns it.
   */
  readonly registryScanOnPush?: boolean;
  /**
   * Take over the existing repositories and creation template instead of creating them (see
   * `StateBucket.adopt`). The registry's scanning configuration needs none: writing it takes it over.
   */
  readonly adopt?: boolean;
  /** The AWS provider: region and credentials (the SDK's default chain) come from it. */
  readonly provider: aws.Provider;
}

/**
 * The ECR lifecycle policy of run images: untagged images go after `untaggedDays`, any image after
 * `runImageDays`. Tags are content hashes, so an expired image is rebuilt and pushed when needed.
 */
export function imageLifecyclePolicy(untaggedDays: number, runImageDays: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images after ${untaggedDays} days`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: untaggedDays,
        },
        action: { type: "expire" },
      },
      {
        // ECR wants the `any` rule last (highest priority number).
        rulePriority: 2,
        description: `expire run images ${runImageDays} days after their push`,
        selection: {
          tagStatus: "any",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: runImageDays,
        },
        action: { type: "expire" },
      },
    ],
  });
}

/**
 * The ECR side of hybrid mode: repositories for run images (scan on push, the lifecycle policy above), and a creation template so that a service's repository appears on its
 * first push with the same settings — a run's service names are not known in advance.
 */
export class ImageRepositories extends pulumi.ComponentResource {
  /**
   * `<account>.dkr.ecr.<region>.amazonaws.com`: the registry RepoRun pushes to in hybrid mode (the
   * `registry` of its image loader), `docker login` logs in to and the pull secret names.
   */
  public readonly registryUrl: pulumi.Output<string>;
  /** ARN pattern of every repository below the prefix (for IAM policies). */
  public readonly repositoryArnPattern: pulumi.Output<string>;
  /** Full names of the repositories made up front. */
  public readonly repositoryNames: pulumi.Output<string[]>;

  constructor(name: string, args: ImageRepositoriesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(IMAGE_REPOSITORIES_TYPE, name, {}, opts);
    const prefix = args.prefix ?? "reporunner";
    const repositoryName = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
    if (!repositoryName.test(prefix)) {
      throw new pulumi.ResourceError(`prefix must be an ECR repository name, got "${prefix}"`, this);
    }
    for (const repo of args.repositories ?? []) {
      if (!repositoryName.test(repo)) {
        throw new pulumi.ResourceError(`repositories: "${repo}" is not an ECR repository name`, this);
      }
    }
    const untaggedDays = positive(this, "untaggedDays", args.untaggedDays ?? 1);
    const runImageDays = positive(this, "runImageDays", args.runImageDays ?? 30);
    const opt = { parent: this, provider: args.provider };
    const policy = imageLifecyclePolicy(untaggedDays, runImageDays);

    const repositories = (args.repositories ?? []).map((repo) =>
      createRepository(
        `${name}-${repo.replace(/[^a-z0-9]+/g, "-")}`,
        `${prefix}/${repo}`,
        policy,
        opt,
        args.adopt,
      ),
    );
    new aws.ecr.RepositoryCreationTemplate(
      `${name}-on-push`,
      {
        prefix,
        appliedFors: ["CREATE_ON_PUSH"],
        description: "repositories of RepoRunner run images, made on their first push",
        imageTagMutability: "MUTABLE",
        lifecyclePolicy: policy,
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        resourceTags: { "reporunner.dev/purpose": "run-images" },
      },
      { ...opt, ...(args.adopt ? { import: prefix } : {}) },
    );
    if (args.registryScanOnPush ?? true) {
      new aws.ecr.RegistryScanningConfiguration(
        `${name}-scanning`,
        {
          scanType: "BASIC",
          rules: [
            {
              scanFrequency: "SCAN_ON_PUSH",
              repositoryFilters: [{ filter: `${prefix}/*`, filterType: "WILDCARD" }],
            },
          ],
        },
        opt,
      );
    }

    const identity = aws.getCallerIdentityOutput({}, { parent: this, provider: args.provider });
    const region = aws.getRegionOutput({}, { parent: this, provider: args.provider });
    const partition = aws.getPartitionOutput({}, { parent: this, provider: args.provider });
    this.registryUrl = pulumi.interpolate`${identity.accountId}.dkr.ecr.${region.region}.amazonaws.com`;
    this.repositoryArnPattern = pulumi.interpolate`arn:${partition.partition}:ecr:${region.region}:${identity.accountId}:repository/${prefix}/*`;
    this.repositoryNames = pulumi.all(repositories.map((r) => r.name));
    this.registerOutputs({
      registryUrl: this.registryUrl,
      repositoryArnPattern: this.repositoryArnPattern,
      repositoryNames: this.repositoryNames,
    });
  }
}

/**
 * One repository: scan on push and the lifecycle policy. Tags stay mutable: a tag is a content hash,
 * so a second push of it is the same content, and an immutable tag would turn that push into an error.
 */
export function createRepository(
  resourceName: string,
  repositoryName: string,
  lifecyclePolicy: string,
  opts: { parent: pulumi.Resource; provider: aws.Provider },
  adopt = false,
): aws.ecr.Repository {
  // A repository and its lifecycle policy are both imported by the repository's name.
  const adopted = adopt ? { import: repositoryName } : {};
  const repository = new aws.ecr.Repository(
    resourceName,
    {
      name: repositoryName,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: "MUTABLE",
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      // Run images are caches of content that can be rebuilt: deleting them loses nothing.
      forceDelete: true,
      tags: { "reporunner.dev/purpose": "run-images" },
    },
    { ...opts, ...adopted },
  );
  new aws.ecr.LifecyclePolicy(
    `${resourceName}-lifecycle`,
    { repository: repository.name, policy: lifecyclePolicy },
    { ...opts, ...adopted },
  );
  return repository;
}

function positive(resource: pulumi.Resource, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new pulumi.ResourceError(`${field} must be a whole number ≥ 1, got ${value}`, resource);
  }
  return value;
}
