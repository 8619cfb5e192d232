import type * as aws from "@pulumi/aws";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findCreated, resetCreated, settle, setupMocks } from "../mocks";

let ServicePolicy: typeof import("../../../components/hybrid/service-policy").ServicePolicy;
let provider: aws.Provider;

beforeAll(async () => {
  await setupMocks();
  ({ ServicePolicy } = await import("../../../components/hybrid/service-policy"));
  provider = new (await import("@pulumi/aws")).Provider("aws", { region: "eu-central-1" });
});
beforeEach(resetCreated);

type Statement = { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[] };
const access = {
  bucketArn: "arn:aws:s3:::team-state",
  repositoryArnPattern: "arn:aws:ecr:eu-central-1:123456789012:repository/reporunner/*",
};

async function statements(args: Partial<ConstructorParameters<typeof ServicePolicy>[1]> = {}) {
  new ServicePolicy("service", { ...access, ...args, provider });
  await settle();
  const policy = findCreated("aws:iam/policy:Policy", "service-policy");
  expect(policy.provider).toMatch(/::aws::/);
  return (JSON.parse(policy.inputs.policy) as { Statement: Statement[] }).Statement;
}

describe("the service's IAM policy", () => {
  it("allows only state objects below .pulumi/, never the bucket's configuration", async () => {
    const s = await statements();
    const actions = s.flatMap((x) => x.Action);
    expect(s.find((x) => x.Sid === "ReadWriteState")!.Resource).toBe("arn:aws:s3:::team-state/.pulumi/*");
    expect(actions.filter((a) => a.startsWith("s3:")).sort()).toEqual([
      "s3:DeleteObject",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    for (const statement of s) {
      expect(statement.Effect).toBe("Allow");
      expect(statement.Action).not.toContain("s3:*");
      expect(statement.Action).not.toContain("ecr:*");
    }
  });

  it("lets the service push and pull run images and get ECR tokens, nothing on other repositories", async () => {
    const s = await statements();
    expect(s.find((x) => x.Sid === "RegistryToken")).toMatchObject({
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    });
    const push = s.find((x) => x.Sid === "PushPullRunImages")!;
    expect(push.Resource).toBe(access.repositoryArnPattern);
    expect(push.Action).toEqual(
      expect.arrayContaining(["ecr:PutImage", "ecr:BatchGetImage", "ecr:CompleteLayerUpload"]),
    );
    expect(push.Action).not.toContain("ecr:DeleteRepository");
    expect(s.some((x) => JSON.stringify(x.Action).includes("dynamodb:"))).toBe(false);
  });

  it("adds the KMS key of an awskms secrets provider only when there is one", async () => {
    expect((await statements()).some((x) => x.Sid === "StackSecrets")).toBe(false);
    resetCreated();
    const key = "arn:aws:kms:eu-central-1:123456789012:key/abc";
    const withKey = await statements({ secretsKeyArn: key });
    expect(withKey.find((x) => x.Sid === "StackSecrets")).toMatchObject({
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
      Resource: key,
    });
  });
});
