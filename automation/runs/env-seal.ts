/**
 * The run environment as MongoDB keeps it: the names in clear, each value sealed with AES-256-GCM
 * under the instance's key (`REPORUNNER_ENV_KEY`, or the file `REPORUNNER_ENV_KEY_FILE`, by default
 * `~/.reporunner/env-key`, created on first start like the Pulumi passphrase).
 *
 * Why encrypt rather than keep nothing: a redeploy, a worker that takes over a crashed run and the
 * TTL reaper's restarts all need the values again, long after the request that brought them; the
 * record is the only place every worker can read them from. Why one sealed value per name rather
 * than one blob: the API lists a run's variables by name (`envKeys`) without the key, and a value
 * is bound to its run and its name (the GCM additional data), so a copied ciphertext does not decrypt
 * as another run's or another variable's. Values are padded to 32-byte blocks first, so the record
 * does not tell a value's exact length. Without the key, a database dump reads as names and noise.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { readOrCreateSecret } from "../local/home";

/** A value sealed by `EnvSealer.seal`: `v1:<base64url of IV, tag, ciphertext>`. */
export type SealedValue = string & { readonly __sealed: unique symbol };

/** A run's environment as stored: names in clear, values sealed. */
export type SealedEnv = Readonly<Record<string, SealedValue>>;

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PAD_BLOCK = 32;
export const ENV_KEY_BYTES = 32;

/** Thrown when a value cannot be opened: another instance's key, or a record that was tampered with. */
export class EnvSealError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvSealError";
  }
}

/** Seals and opens run environments with one instance key; also digests requests that carry values. */
export class EnvSealer {
  private readonly encryptionKey: Buffer;
  private readonly digestKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== ENV_KEY_BYTES) throw new Error(`the env key must be ${ENV_KEY_BYTES} bytes`);
    // Separate keys for separate uses, both derived from the one the operator keeps.
    this.encryptionKey = createHmac("sha256", key).update("reporunner env encryption v1").digest();
    this.digestKey = createHmac("sha256", key).update("reporunner request digest v1").digest();
  }

  /** Each value sealed, bound to the run and the name. */
  seal(runId: string, env: Readonly<Record<string, string>>): SealedEnv {
    const sealed: Record<string, SealedValue> = {};
    for (const [name, value] of Object.entries(env)) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", this.encryptionKey, iv);
      cipher.setAAD(additionalData(runId, name));
      const body = Buffer.concat([cipher.update(pad(Buffer.from(value, "utf8"))), cipher.final()]);
      const blob = Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
      sealed[name] = `${VERSION}:${blob}` as SealedValue;
    }
    return sealed;
  }

  /**
   * The values back. A value without the `v1:` prefix was stored in plain text before values were
   * sealed, and is returned as it is, so that older runs can still be redeployed.
   */
  open(runId: string, sealed: Readonly<Record<string, string>>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, stored] of Object.entries(sealed)) {
      if (!stored.startsWith(`${VERSION}:`)) {
        env[name] = stored;
        continue;
      }
      const blob = Buffer.from(stored.slice(VERSION.length + 1), "base64url");
      try {
        const decipher = createDecipheriv("aes-256-gcm", this.encryptionKey, blob.subarray(0, IV_BYTES));
        decipher.setAAD(additionalData(runId, name));
        decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const padded = Buffer.concat([
          decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
        env[name] = unpad(padded).toString("utf8");
      } catch (error) {
        throw new EnvSealError(
          `the run's variable ${name} cannot be read with this instance's key: every API and worker process needs the same REPORUNNER_ENV_KEY`,
          { cause: error },
        );
      }
    }
    return env;
  }

  /** A keyed digest (HMAC-SHA256, hex): compares requests without storing a guessable hash of their values. */
  digest(text: string): string {
    return createHmac("sha256", this.digestKey).update(text).digest("hex");
  }
}

function additionalData(runId: string, name: string): Buffer {
  return Buffer.from(`reporunner-env\0${runId}\0${name}`, "utf8");
}

/** ISO/IEC 7816-4 padding: 0x80, then zeros up to the next 32-byte block. */
function pad(data: Buffer): Buffer {
  const length = (Math.floor(data.length / PAD_BLOCK) + 1) * PAD_BLOCK;
  const padded = Buffer.alloc(length);
  data.copy(padded);
  padded[data.length] = 0x80;
  return padded;
}

function unpad(data: Buffer): Buffer {
  let end = data.length - 1;
  while (end >= 0 && data[end] === 0) end--;
  if (end < 0 || data[end] !== 0x80) throw new Error("bad padding");
  return data.subarray(0, end);
}

/** Where the instance key comes from (`Config.envKey`). */
export interface EnvKeySource {
  /** The key itself, base64 (`REPORUNNER_ENV_KEY`). */
  readonly value?: string;
  /** Otherwise this file (`REPORUNNER_ENV_KEY_FILE`), created with a new key (mode 0600) when missing. */
  readonly file: string;
}

/** Decodes a base64 key; undefined when it is not 32 bytes. */
export function decodeEnvKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, "base64");
  return key.length === ENV_KEY_BYTES ? key : undefined;
}

/** The instance key: the configured value, or the key file (made on first use). */
export function loadEnvKey(source: EnvKeySource): Buffer {
  if (source.value !== undefined) {
    const key = decodeEnvKey(source.value);
    if (!key) throw new Error(`REPORUNNER_ENV_KEY must be ${ENV_KEY_BYTES} bytes in base64`);
    return key;
  }
  const text = readOrCreateSecret(source.file, () => randomBytes(ENV_KEY_BYTES).toString("base64"));
  const key = decodeEnvKey(text);
  if (!key) {
    const size = fs.statSync(source.file).size;
    throw new Error(
      `${source.file} does not hold a ${ENV_KEY_BYTES}-byte base64 key (${size} bytes): restore it, or remove it only if no run needs its values`,
    );
  }
  return key;
}
