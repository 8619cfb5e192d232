import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const LOCK_TABLE_TYPE = "reporunner:hybrid:LockTable";

/** The hash key Terraform's S3 backend writes its locks under: the name is fixed by Terraform. */
export const TERRAFORM_LOCK_KEY = "LockID";

export interface LockTableArgs {
  /**
   * The table's name, what the Terraform backend's `dynamodb_table` names (default
   * `reporunner-terraform-locks`). Changing it replaces the table: no update may run meanwhile.
   */
  readonly tableName?: pulumi.Input<string>;
  /** Refuse to delete the table (default true): a deleted table silently turns locking off. */
  readonly deletionProtection?: boolean;
  /** Take over the existing table named `tableName` instead of creating one (see `StateBucket.adopt`). */
  readonly adopt?: boolean;
  /** The AWS provider: region and credentials (the SDK's default chain) come from it. */
  readonly provider: aws.Provider;
}

/**
 * The DynamoDB table the Terraform baseline's S3 backend locks its state with (`dynamodb_table`).
 * Pulumi's S3 backend keeps its own locks as objects in the state bucket and does not use it.
 * On-demand billing: a lock table sees a handful of requests per `terraform apply`.
 */
export class LockTable extends pulumi.ComponentResource {
  public readonly tableName: pulumi.Output<string>;
  public readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: LockTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LOCK_TABLE_TYPE, name, {}, opts);
    const tableName = args.tableName ?? "reporunner-terraform-locks";
    if (args.adopt && typeof tableName !== "string") {
      throw new pulumi.ResourceError("adopt needs the existing table's name in tableName", this);
    }
    const table = new aws.dynamodb.Table(
      `${name}-table`,
      {
        name: tableName,
        billingMode: "PAY_PER_REQUEST",
        hashKey: TERRAFORM_LOCK_KEY,
        attributes: [{ name: TERRAFORM_LOCK_KEY, type: "S" }],
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: args.deletionProtection ?? true,
        tags: { "reporunner.dev/purpose": "terraform-lock" },
      },
      { parent: this, provider: args.provider, ...(args.adopt ? { import: tableName as string } : {}) },
    );
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn });
  }
}
