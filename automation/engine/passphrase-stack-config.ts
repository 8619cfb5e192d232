import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { WorkspaceBackend } from "./workspace-backend";

/**
 * A run stack's configuration written straight into its settings file (`Pulumi.<stack>.yaml`, through
 * the SDK's `saveStackSettings`), its secrets encrypted here as Pulumi's passphrase secrets manager
 * does: AES-256-GCM (`v1:<nonce>:<ciphertext and tag>`, base64), the key from PBKDF2-SHA256 over an
 * 8-byte salt, 1,000,000 iterations, the salt stored as `v1:<salt>:<"pulumi" encrypted>`. `stack init`
 * then finds the salt and the values in place, and no `pulumi config set-all` runs: one CLI start
 * less per run, and one key derivation less (~0.15 s of CPU in every CLI start that opens the stack).
 * This process derives the key once per salt, on libuv's thread pool, not the event loop. Every run
 * stack this process creates shares its salt; they share the passphrase already.
 */
export class PassphraseStackConfig {
  private readonly crypters = new Map<string, Promise<Crypter>>();
  private ownSalt: Promise<string> | undefined;

  constructor(private readonly passphrase: string) {}

  /**
   * Writes `config` as the stack's settings, keeping the salt its file has (a retried run's); true
   * when there was no file before.
   */
  async write(
    workspace: Pick<LocalWorkspace, "stackSettings" | "saveStackSettings">,
    stackName: string,
    config: Readonly<Record<string, { value: string; secret?: boolean }>>,
  ): Promise<boolean> {
    const earlier = await workspace.stackSettings(stackName).catch(() => undefined);
    const salt = earlier?.encryptionSalt ?? (await (this.ownSalt ??= this.newSalt()));
    const crypter = await this.crypterFor(salt);
    const values = Object.entries(config).map(([key, { value, secret }]) => [
      key,
      secret ? { secure: crypter.encrypt(value) } : value,
    ]);
    await workspace.saveStackSettings(stackName, {
      encryptionSalt: salt,
      config: Object.fromEntries(values),
    });
    return earlier === undefined;
  }

  private async newSalt(): Promise<string> {
    const salt = randomBytes(8);
    const crypter = new Crypter(await deriveKey(this.passphrase, salt));
    const state = `v1:${salt.toString("base64")}:${crypter.encrypt(CHECK_VALUE)}`;
    this.crypters.set(state, Promise.resolve(crypter));
    return state;
  }

  /** The crypter of a salt state; refuses a passphrase that does not open its check value. */
  private crypterFor(state: string): Promise<Crypter> {
    let crypter = this.crypters.get(state);
    if (!crypter) {
      crypter = (async () => {
        const [version, salt] = state.split(":");
        if (version !== "v1" || !salt) throw new Error(`unknown passphrase salt format: ${version}`);
        const found = new Crypter(await deriveKey(this.passphrase, Buffer.from(salt, "base64")));
        if (found.decrypt(state.slice(state.indexOf(":", 3) + 1)) !== CHECK_VALUE)
          throw new Error("PULUMI_CONFIG_PASSPHRASE does not open this stack's secrets");
        return found;
      })();
      crypter.catch(() => this.crypters.delete(state));
      this.crypters.set(state, crypter);
    }
    return crypter;
  }
}

/**
 * The passphrase, when the run stacks' secrets provider is Pulumi's passphrase one: named so, or left
 * to the default of a self-managed backend (`file://`, `s3://`). Undefined otherwise (Pulumi Cloud,
 * AWS KMS): those stacks get their config through `pulumi config set-all`. `cliDir`: the folder the
 * CLI runs in (the workspace's).
 */
export function runStacksPassphrase(
  backend: WorkspaceBackend,
  env: Readonly<Record<string, string | undefined>>,
  cliDir = process.cwd(),
): string | undefined {
  const selfManaged = /^(file|s3):\/\//.test(backend.backendUrl ?? "");
  const passphraseProvider =
    backend.secretsProvider === "passphrase" || (backend.secretsProvider === undefined && selfManaged);
  if (!passphraseProvider) return undefined;
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  // Read as the CLI reads it: relative to the folder it runs in, surrounding white space trimmed.
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE)
    return fs.readFileSync(path.resolve(cliDir, env.PULUMI_CONFIG_PASSPHRASE_FILE), "utf8").trim();
  return undefined;
}

/** What the salt state encrypts, to tell a wrong passphrase (Pulumi's own check value). */
const CHECK_VALUE = "pulumi";
const ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(passphrase, salt, ITERATIONS, KEY_BYTES, "sha256", (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** AES-256-GCM in Pulumi's `v1:<nonce>:<ciphertext‖tag>` form (sdk/go/common/resource/config/crypt.go). */
class Crypter {
  constructor(private readonly key: Buffer) {}

  encrypt(plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
  }

  /** The plaintext, or undefined when this key does not open the value. */
  decrypt(value: string): string | undefined {
    const [version, nonce, sealed] = value.split(":");
    if (version !== "v1" || !nonce || !sealed) return undefined;
    const bytes = Buffer.from(sealed, "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64"));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
