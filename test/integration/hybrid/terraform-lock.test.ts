import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERRAFORM_LOCK_KEY } from "../../../components/hybrid/lock-table";
import { TERRAFORM_OUTPUTS } from "../../../stacks/bootstrap";
import { eventually, PROJECT_DIR, useTestEnvironment } from "../support/testenv";
import { createBucket, listKeys, motoS3, uniqueName } from "./support";

/**
 * The lock table as the Terraform baseline uses it, for real: OpenTofu (built here from its Go
 * module by terraform/build-opentofu.sh; `TOFU` or `TERRAFORM` names another binary) with its S3
 * backend against moto's S3 and DynamoDB. The table has LockTable's schema (hash key LockID, string,
 * on-demand); the bucket stands in for the state bucket. Nothing but the builtin provider is used:
 * nothing is downloaded.
 */
let env: Record<string, string>;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let tofu: string;
let dir: string;
const bucket = uniqueName("reporunner-tfstate");
const table = uniqueName("reporunner-locks");
const key = "reporunner/baseline.tfstate";

/** The binary: `TOFU`/`TERRAFORM`, else the OpenTofu build (made once, ~8 minutes), else `terraform`. */
function terraformBinary(): string {
  const named = process.env.TOFU ?? process.env.TERRAFORM;
  if (named) return named;
  try {
    return execFileSync("bash", [path.join(PROJECT_DIR, "terraform", "build-opentofu.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  } catch (error) {
    const onPath = execFileSync("bash", ["-c", "command -v terraform || true"], { encoding: "utf8" }).trim();
    if (onPath) return onPath;
    throw error;
  }
}

function tfEnv(): Record<string, string> {
  const cliConfig = path.join(dir, "cli.tfrc");
  return {
    ...(process.env as Record<string, string>),
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };
}

const run = (...args: string[]) =>
  execFileSync(tofu, args, { cwd: dir, env: tfEnv(), encoding: "utf8", stdio: "pipe" });

/** Runs and returns the exit code and both streams, for the runs that are meant to fail. */
function attempt(...args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: run(...args) };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

beforeAll(async () => {
  env = useTestEnvironment();
  tofu = terraformBinary();
  s3 = motoS3();
  dynamodb = new DynamoDBClient({ endpoint: env.AWS_ENDPOINT_URL, region: env.AWS_REGION });
  await createBucket(s3, bucket);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: TERRAFORM_LOCK_KEY, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: TERRAFORM_LOCK_KEY, AttributeType: "S" }],
    }),
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-tf-"));
  fs.writeFileSync(path.join(dir, "cli.tfrc"), "");
  const endpoint = env.AWS_ENDPOINT_URL;
  // A stand-in baseline: the backend block of terraform/backend.tf.example, and the outputs of
  // terraform/outputs.tf with made-up values; a provisioner that can hold the lock for a while.
  fs.writeFileSync(
    path.join(dir, "main.tf"),
    `terraform {
  backend "s3" {
    bucket         = "${bucket}"
    key            = "${key}"
    region         = "${env.AWS_REGION}"
    dynamodb_table = "${table}"
    encrypt        = true
    endpoints = {
      s3       = "${endpoint}"
      dynamodb = "${endpoint}"
      sts      = "${endpoint}"
      iam      = "${endpoint}"
    }
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
  }
}

variable "hold_seconds" {
  type    = number
  default = 0
}

resource "terraform_data" "hold" {
  input            = var.hold_seconds
  triggers_replace = [var.hold_seconds]
  provisioner "local-exec" {
    command = "sleep \${self.input}"
  }
}

output "${TERRAFORM_OUTPUTS.stateBucket}" { value = "${bucket}" }
output "${TERRAFORM_OUTPUTS.stateBucketArn}" { value = "arn:aws:s3:::${bucket}" }
output "${TERRAFORM_OUTPUTS.lockTable}" { value = "${table}" }
output "${TERRAFORM_OUTPUTS.registryUrl}" { value = "123456789012.dkr.ecr.${env.AWS_REGION}.amazonaws.com" }
output "${TERRAFORM_OUTPUTS.repositoryArnPattern}" { value = "arn:aws:ecr:${env.AWS_REGION}:123456789012:repository/reporunner/*" }
`,
  );
  run("init", "-input=false", "-no-color");
  run("apply", "-auto-approve", "-input=false", "-no-color");
}, 900_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const lockItem = async () =>
  (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { LockID: { S: `${bucket}/${key}` } } })))
    .Item;

describe("the Terraform baseline's S3 backend with the lock table", () => {
  it(`keeps the state in the bucket and its digest in the table under ${TERRAFORM_LOCK_KEY}`, async () => {
    expect(await listKeys(s3, bucket)).toContain(key);
    const digest = await dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { LockID: { S: `${bucket}/${key}-md5` } } }),
    );
    expect(digest.Item?.Digest?.S).toMatch(/^[0-9a-f]{32}$/);
    expect(await lockItem()).toBeUndefined();
  });

  it("leaves the outputs the bootstrap stack reads in the state", async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const state = JSON.parse(await object.Body!.transformToString()) as {
      outputs: Record<string, { value: string }>;
    };
    for (const name of Object.values(TERRAFORM_OUTPUTS))
      expect(state.outputs[name]?.value, name).toBeTruthy();
    expect(state.outputs[TERRAFORM_OUTPUTS.lockTable].value).toBe(table);
  });

  it("holds a lock item while an apply runs, refuses a second run meanwhile, and releases it", async () => {
    const apply = spawn(
      tofu,
      ["apply", "-auto-approve", "-input=false", "-no-color", "-var", "hold_seconds=20"],
      {
        cwd: dir,
        env: tfEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let applyOutput = "";
    apply.stdout!.on("data", (c) => (applyOutput += String(c)));
    apply.stderr!.on("data", (c) => (applyOutput += String(c)));
    const exited = new Promise<number | null>((resolve) => apply.once("exit", resolve));
    const held = await eventually("the apply to take the lock", lockItem, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${applyOutput}`);
    });
    const info = JSON.parse(held.Info!.S!) as { ID: string; Operation: string; Path: string };
    expect(info.Operation).toBe("OperationTypeApply");
    expect(info.Path).toBe(`${bucket}/${key}`);

    const second = attempt("plan", "-lock-timeout=0s", "-input=false", "-no-color");
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/Error acquiring the state lock/);
    expect(second.output).toContain(info.ID);

    expect(await exited, applyOutput).toBe(0);
    expect(await lockItem()).toBeUndefined();
    expect(attempt("plan", "-lock-timeout=0s", "-input=false", "-no-color").code).toBe(0);
    const items = await dynamodb.send(new ScanCommand({ TableName: table }));
    expect(items.Items?.map((i) => i.LockID.S)).toEqual([`${bucket}/${key}-md5`]);
  });
});
