import type * as aws from "@pulumi/aws";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findCreated, resetCreated, settle, setupMocks } from "../mocks";

let LockTable: typeof import("../../../components/hybrid/lock-table").LockTable;
let provider: aws.Provider;

beforeAll(async () => {
  await setupMocks();
  ({ LockTable } = await import("../../../components/hybrid/lock-table"));
  provider = new (await import("@pulumi/aws")).Provider("aws", { region: "eu-central-1" });
});
beforeEach(resetCreated);

describe("the Terraform lock table", () => {
  it("has the string hash key LockID that Terraform's S3 backend writes, and on-demand billing", async () => {
    new LockTable("locks", { provider });
    await settle();
    const table = findCreated("aws:dynamodb/table:Table", "locks-table");
    expect(table.inputs.hashKey).toBe("LockID");
    expect(table.inputs.attributes).toEqual([{ name: "LockID", type: "S" }]);
    expect(table.inputs.rangeKey).toBeUndefined();
    expect(table.inputs.billingMode).toBe("PAY_PER_REQUEST");
    expect(table.inputs.readCapacity).toBeUndefined();
    expect(table.provider).toMatch(/::aws::/);
  });

  it("is encrypted, recoverable and protected from deletion unless told otherwise", async () => {
    new LockTable("locks", { provider });
    new LockTable("scratch", { tableName: "scratch-locks", deletionProtection: false, provider });
    await settle();
    const table = findCreated("aws:dynamodb/table:Table", "locks-table").inputs;
    expect(table.name).toBe("reporunner-terraform-locks");
    expect(table.serverSideEncryption).toEqual({ enabled: true });
    expect(table.pointInTimeRecovery).toEqual({ enabled: true });
    expect(table.deletionProtectionEnabled).toBe(true);
    const scratch = findCreated("aws:dynamodb/table:Table", "scratch-table").inputs;
    expect(scratch.name).toBe("scratch-locks");
    expect(scratch.deletionProtectionEnabled).toBe(false);
  });
});
