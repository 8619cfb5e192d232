import * as pulumi from "@pulumi/pulumi";

/**
 * The one Pulumi mocks module of the unit tests: records every resource the program registers, echoes
 * inputs back as outputs (plus what a provider would compute), and fails loudly on any provider
 * function call it does not know.
 */

export interface CreatedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** The provider reference (`urn::id`) the resource was registered with, if any. */
  readonly provider?: string;
  /** The ID of an existing resource the program imports (the `import` option), if any. */
  readonly importId?: string;
}

const created: CreatedResource[] = [];

/** Answers to provider function calls, by token, that a test declared (`answerCall`). */
const callAnswers = new Map<string, (inputs: Record<string, any>) => Record<string, unknown>>();

/**
 * Lets the provider function `token` (e.g. `aws:index/getCallerIdentity:getCallerIdentity`) answer
 * with what `answer` returns; any call nobody declared still fails loudly.
 */
export function answerCall(
  token: string,
  answer: (inputs: Record<string, any>) => Record<string, unknown>,
): void {
  callAnswers.set(token, answer);
}

/** The account and region the mocked AWS provider works in. */
export const MOCK_AWS = { accountId: "123456789012", region: "eu-central-1", partition: "aws" } as const;

/** Outputs a real provider would add that the program reads. */
function computedOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${MOCK_AWS.region}:${MOCK_AWS.accountId}:${resource}`;
  switch (args.type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = args.inputs.bucket ?? `${args.inputs.bucketPrefix ?? ""}mock0001`;
      return { bucket, arn: `arn:aws:s3:::${bucket}`, region: MOCK_AWS.region };
    }
    case "aws:dynamodb/table:Table":
      return { arn: arn("dynamodb", `table/${args.inputs.name}`) };
    case "aws:ecr/repository:Repository":
      return {
        arn: arn("ecr", `repository/${args.inputs.name}`),
        repositoryUrl: `${MOCK_AWS.accountId}.dkr.ecr.${MOCK_AWS.region}.amazonaws.com/${args.inputs.name}`,
      };
    case "aws:iam/policy:Policy":
      return { arn: `arn:aws:iam::${MOCK_AWS.accountId}:policy/${args.inputs.name}` };
    case "command:local:Command":
      return { stdout: `apiVersion: v1\nkind: Config\n# kubeconfig from ${args.name}\n`, stderr: "" };
    case "pulumi-nodejs:dynamic:Resource":
      return { value: `generated-${args.name}` };
    default:
      return {};
  }
}

export async function setupMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        created.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          importId: args.id || undefined,
        });
        const metadataName = args.inputs?.metadata?.name;
        return { id: metadataName ?? `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args) } };
      },
      call(args) {
        const answer = callAnswers.get(args.token);
        if (answer) return answer(args.inputs);
        throw new Error(`unexpected provider function call in a unit test: ${args.token}`);
      },
    },
    "reporunner",
    "test",
    false,
  );
}

export function resetCreated(): void {
  created.length = 0;
}

export function allCreated(type?: string): CreatedResource[] {
  return created.filter((r) => type === undefined || r.type === type);
}

/** The one resource of `type` named `name`; fails with what exists when it is missing. */
export function findCreated(type: string, name: string): CreatedResource {
  const found = created.find((r) => r.type === type && r.name === name);
  if (!found) {
    const known = created.map((r) => `${r.type}::${r.name}`).join("\n  ");
    throw new Error(`no ${type} named ${name}; created:\n  ${known}`);
  }
  return found;
}

/** Resolves an Output (or plain value) to its value, secret or not. */
export function resolveOutput<T>(output: pulumi.Input<T> | undefined): Promise<T> {
  return new Promise((resolve) => pulumi.output(output as pulumi.Input<T>).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/**
 * Waits until the program has stopped registering resources: registration is asynchronous (inputs
 * resolve first), so a test asserts only once the count of created resources holds still.
 */
export async function settle(): Promise<void> {
  let stableTicks = 0;
  let last = -1;
  for (let i = 0; i < 200 && stableTicks < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    stableTicks = created.length === last ? stableTicks + 1 : 0;
    last = created.length;
  }
}

/** The signature key Pulumi puts on a serialized secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The value inside a resource input that was sent as a secret; fails if it was sent in plain text. */
export function secretInput(input: unknown): unknown {
  const wrapped = input as Record<string, unknown> | undefined;
  if (!wrapped || typeof wrapped !== "object" || !(SECRET_SIG in wrapped)) {
    throw new Error(`expected a secret input, got ${JSON.stringify(input)}`);
  }
  return wrapped.value;
}

/** `inputs` with every secret replaced by `"[secret]"`: what the state would hold in plain text. */
export function withoutSecrets(inputs: unknown): unknown {
  if (Array.isArray(inputs)) return inputs.map(withoutSecrets);
  if (!inputs || typeof inputs !== "object") return inputs;
  if (SECRET_SIG in inputs) return "[secret]";
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, withoutSecrets(v)]));
}
