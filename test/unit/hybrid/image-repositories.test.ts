import type * as aws from "@pulumi/aws";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { allCreated, findCreated, resetCreated, resolveOutput, settle, setupMocks } from "../mocks";
import { answerAwsCalls } from "./aws-mocks";

let ImageRepositories: typeof import("../../../components/hybrid/image-repositories").ImageRepositories;
let provider: aws.Provider;

beforeAll(async () => {
  await setupMocks();
  answerAwsCalls();
  ({ ImageRepositories } = await import("../../../components/hybrid/image-repositories"));
  provider = new (await import("@pulumi/aws")).Provider("aws", { region: "eu-central-1" });
});
beforeEach(resetCreated);

type LifecycleRule = { rulePriority: number; selection: Record<string, unknown>; action: { type: string } };

describe("the ECR repositories of run images", () => {
  it("scans every image on push", async () => {
    new ImageRepositories("images", { repositories: ["web", "api"], provider });
    await settle();
    for (const name of ["images-web", "images-api"]) {
      const repo = findCreated("aws:ecr/repository:Repository", name);
      expect(repo.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
      expect(repo.provider).toMatch(/::aws::/);
    }
    expect(findCreated("aws:ecr/repository:Repository", "images-web").inputs.name).toBe("reporunner/web");
    const scanning = findCreated(
      "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
      "images-scanning",
    );
    expect(scanning.inputs.rules).toEqual([
      {
        scanFrequency: "SCAN_ON_PUSH",
        repositoryFilters: [{ filter: "reporunner/*", filterType: "WILDCARD" }],
      },
    ]);
  });

  it("expires untagged images first, then run images past their age", async () => {
    new ImageRepositories("images", { repositories: ["web"], untaggedDays: 2, runImageDays: 14, provider });
    await settle();
    const policy = JSON.parse(
      findCreated("aws:ecr/lifecyclePolicy:LifecyclePolicy", "images-web-lifecycle").inputs.policy,
    ) as { rules: LifecycleRule[] };
    expect(policy.rules.map((r) => [r.rulePriority, r.selection.tagStatus, r.selection.countNumber])).toEqual(
      [
        [1, "untagged", 2],
        [2, "any", 14],
      ],
    );
    for (const rule of policy.rules) {
      expect(rule.selection.countType).toBe("sinceImagePushed");
      expect(rule.selection.countUnit).toBe("days");
      expect(rule.action).toEqual({ type: "expire" });
    }
  });

  it("makes a service's repository on its first push with the same lifecycle policy", async () => {
    new ImageRepositories("images", { provider });
    await settle();
    expect(allCreated("aws:ecr/repository:Repository")).toEqual([]);
    const template = findCreated(
      "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
      "images-on-push",
    ).inputs;
    expect(template.prefix).toBe("reporunner");
    expect(template.appliedFors).toEqual(["CREATE_ON_PUSH"]);
    const rules = (JSON.parse(template.lifecyclePolicy) as { rules: LifecycleRule[] }).rules;
    expect(rules.map((r) => [r.selection.tagStatus, r.selection.countNumber])).toEqual([
      ["untagged", 1],
      ["any", 30],
    ]);
  });

  it("leaves the registry's scanning configuration alone when the baseline owns it", async () => {
    new ImageRepositories("images", { registryScanOnPush: false, provider });
    await settle();
    expect(allCreated("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")).toEqual([]);
  });

  it("names the registry RepoRun pushes to, and the ARNs of its repositories", async () => {
    const images = new ImageRepositories("images", { prefix: "team/runs", provider });
    expect(await resolveOutput(images.registryUrl)).toBe("123456789012.dkr.ecr.eu-central-1.amazonaws.com");
    expect(await resolveOutput(images.repositoryArnPattern)).toBe(
      "arn:aws:ecr:eu-central-1:123456789012:repository/team/runs/*",
    );
  });

  it("refuses a repository name ECR would refuse, naming it", () => {
    expect(() => new ImageRepositories("bad", { repositories: ["Web"], provider })).toThrow(
      /"Web" is not an ECR/,
    );
  });
});
