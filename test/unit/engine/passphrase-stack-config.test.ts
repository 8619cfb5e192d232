import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StackSettings } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import {
  PassphraseStackConfig,
  runStacksPassphrase,
} from "../../../automation/engine/passphrase-stack-config";

/** A settings file the Pulumi CLI (3.259) wrote: `stack init` then `config set --secret k v`, passphrase "x". */
const CLI_SALT = "v1:xAFQn+Vf0Uo=:v1:kh82izgd0RMyMWNY:/fe6nahvqJWM5tR7UcaeecGX2whGTg==";
const CLI_SECURE_V = "v1:zIOQJYQqM7xWJ5jh:OhBmuHMh4o6rw0a22MuWYyA=";

/** A workspace that keeps stack settings in memory. */
function settingsStore(initial: Record<string, StackSettings> = {}) {
  const files = new Map(Object.entries(initial));
  return {
    files,
    async stackSettings(name: string) {
      const found = files.get(name);
      if (!found) throw new Error("no settings file");
      return found;
    },
    async saveStackSettings(name: string, settings: StackSettings) {
      files.set(name, settings);
    },
  };
}

/** Pulumi's decryption, written out here from its Go source, to check what the class writes. */
function decrypt(passphrase: string, saltState: string, value: string): string {
  const key = pbkdf2Sync(
    passphrase,
    Buffer.from(saltState.split(":")[1]!, "base64"),
    1_000_000,
    32,
    "sha256",
  );
  const [, nonce, sealed] = value.split(":");
  const bytes = Buffer.from(sealed!, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce!, "base64"));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString();
}

describe("PassphraseStackConfig", () => {
  it("writes plain values as they are and secrets as Pulumi's passphrase manager would", async () => {
    const workspace = settingsStore();
    const created = await new PassphraseStackConfig("correct horse").write(workspace, "run-a", {
      "reporunner:runId": { value: "a" },
      "reporunner:kubeconfig": { value: "apiVersion: v1", secret: true },
    });
    expect(created).toBe(true);
    const written = workspace.files.get("run-a")!;
    const salt = written.encryptionSalt!;
    expect(salt).toMatch(/^v1:[A-Za-z0-9+/=]{12}:v1:/);
    expect(decrypt("correct horse", salt, salt.slice(salt.indexOf(":", 3) + 1))).toBe("pulumi");
    expect(written.config?.["reporunner:runId"]).toBe("a");
    const secure = written.config?.["reporunner:kubeconfig"] as { secure: string };
    expect(secure.secure).not.toContain("apiVersion");
    expect(decrypt("correct horse", salt, secure.secure)).toBe("apiVersion: v1");
  });

  it("keeps the salt a stack's file has (a retried run), and opens what the Pulumi CLI encrypted with it", async () => {
    const workspace = settingsStore({
      "run-b": { encryptionSalt: CLI_SALT, config: { "p:k": { secure: CLI_SECURE_V } } },
    });
    const config = new PassphraseStackConfig("x");
    expect(await config.write(workspace, "run-b", { "p:k": { value: "w", secret: true } })).toBe(false);
    const written = workspace.files.get("run-b")!;
    expect(written.encryptionSalt).toBe(CLI_SALT);
    expect(decrypt("x", CLI_SALT, (written.config?.["p:k"] as { secure: string }).secure)).toBe("w");
    expect(decrypt("x", CLI_SALT, CLI_SECURE_V)).toBe("v");
  });

  it("shares one salt among the stacks it creates", async () => {
    const workspace = settingsStore();
    const config = new PassphraseStackConfig("p");
    await Promise.all(
      ["run-c", "run-d"].map((name) => config.write(workspace, name, { "p:a": { value: "1" } })),
    );
    expect(workspace.files.get("run-c")!.encryptionSalt).toBe(workspace.files.get("run-d")!.encryptionSalt);
  });

  it("refuses a passphrase that does not open the stack's salt, and writes nothing", async () => {
    const workspace = settingsStore({ "run-e": { encryptionSalt: CLI_SALT, config: { "p:a": "kept" } } });
    await expect(
      new PassphraseStackConfig("wrong").write(workspace, "run-e", { "p:a": { value: "new" } }),
    ).rejects.toThrow(/PULUMI_CONFIG_PASSPHRASE does not open/);
    expect(workspace.files.get("run-e")!.config?.["p:a"]).toBe("kept");
  });
});

describe("runStacksPassphrase", () => {
  it("is the passphrase of a self-managed backend's default provider, or of the passphrase provider named", () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "s" };
    expect(runStacksPassphrase({ backendUrl: "file:///state" }, env)).toBe("s");
    expect(runStacksPassphrase({ backendUrl: "s3://bucket/runs" }, env)).toBe("s");
    expect(runStacksPassphrase({ secretsProvider: "passphrase" }, env)).toBe("s");
    expect(runStacksPassphrase({ backendUrl: "file:///state" }, { PULUMI_CONFIG_PASSPHRASE: "" })).toBe("");
  });

  it("reads PULUMI_CONFIG_PASSPHRASE_FILE without its final newline", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "passphrase-")), "phrase");
    fs.writeFileSync(file, "from file\n");
    expect(
      runStacksPassphrase({ backendUrl: "file:///state" }, { PULUMI_CONFIG_PASSPHRASE_FILE: file }),
    ).toBe("from file");
  });

  it("is undefined for Pulumi Cloud, AWS KMS, or no passphrase: those stacks take the CLI's config path", () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "s" };
    expect(runStacksPassphrase({}, env)).toBeUndefined();
    expect(runStacksPassphrase({ backendUrl: "https://api.pulumi.com" }, env)).toBeUndefined();
    expect(
      runStacksPassphrase(
        { backendUrl: "s3://b", secretsProvider: "awskms://alias/k?region=eu-west-1" },
        env,
      ),
    ).toBeUndefined();
    expect(runStacksPassphrase({ backendUrl: "file:///state" }, {})).toBeUndefined();
  });
});
