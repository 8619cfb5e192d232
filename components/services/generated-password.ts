import * as pulumi from "@pulumi/pulumi";

/**
 * A random credential generated once and kept, encrypted, in the stack's state.
 *
 * Why not @pulumi/random: it is bridged from a Terraform provider whose plugin cannot be built on
 * machines without a provider download; a dynamic provider runs in the nodejs shim that ships with
 * @pulumi/pulumi, so the platform stack needs no extra plugin at all.
 */

export interface GeneratedPasswordArgs {
  /** Bytes of randomness (default 24, i.e. 32 URL-safe characters). Changing it generates a new value. */
  readonly bytes?: number;
}

interface PasswordInputs {
  readonly bytes: number;
}

const passwordProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: PasswordInputs) {
    // Required here rather than imported: the provider is serialized and runs in its own process.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto");
    return {
      id: crypto.randomUUID(),
      outs: { bytes: inputs.bytes, value: crypto.randomBytes(inputs.bytes).toString("base64url") },
    };
  },
  async diff(_id: string, olds: PasswordInputs, news: PasswordInputs) {
    const changed = olds.bytes !== news.bytes;
    return { changes: changed, replaces: changed ? ["bytes"] : [], deleteBeforeReplace: false };
  },
};

export class GeneratedPassword extends pulumi.dynamic.Resource {
  /** The generated value; a secret. */
  declare public readonly value: pulumi.Output<string>;

  constructor(name: string, args: GeneratedPasswordArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const bytes = args.bytes ?? 24;
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 256) {
      throw new Error(`GeneratedPassword ${name}: bytes must be an integer from 16 to 256, got ${bytes}`);
    }
    super(
      passwordProvider,
      name,
      { bytes, value: undefined },
      { ...opts, additionalSecretOutputs: ["value"] },
    );
  }
}
