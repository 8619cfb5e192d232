import { parseS3BackendUrl } from "../../components/hybrid/backend-url";

/** Where the Automation API workspace keeps state and how it encrypts stack secrets. */
export interface WorkspaceBackend {
  /** `PULUMI_BACKEND_URL`: `file://…`, `s3://…` (hybrid mode) or a Pulumi Cloud URL. */
  readonly backendUrl?: string;
  /** `passphrase` (`PULUMI_CONFIG_PASSPHRASE[_FILE]`) or `awskms://<key>?region=<region>`; unset: the backend's default. */
  readonly secretsProvider?: string;
}

/** The variable that picks the secrets provider of new stacks. */
export const SECRETS_PROVIDER_VARIABLE = "REPORUNNER_SECRETS_PROVIDER";

/**
 * Reads the backend and the secrets provider from the engine's environment (the same variables the
 * Pulumi CLI reads, plus `REPORUNNER_SECRETS_PROVIDER`), and refuses a combination that would fail
 * later, in the middle of a run: a passphrase provider without a passphrase, an unknown provider, an
 * `s3://` URL without a bucket. AWS credentials are never read here: the CLI and the SDK take them
 * from their default chain (env, SSO, profiles).
 */
export function workspaceBackend(env: Readonly<Record<string, string | undefined>>): WorkspaceBackend {
  const backendUrl = env.PULUMI_BACKEND_URL || undefined;
  if (backendUrl?.startsWith("s3://") && !parseS3BackendUrl(backendUrl)?.bucket) {
    throw new Error(`PULUMI_BACKEND_URL names no bucket: ${backendUrl}`);
  }
  const secretsProvider = env[SECRETS_PROVIDER_VARIABLE] || undefined;
  if (secretsProvider === undefined || secretsProvider === "default") return { backendUrl };
  if (secretsProvider === "passphrase") {
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE) {
      throw new Error(
        `${SECRETS_PROVIDER_VARIABLE}=passphrase needs PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE`,
      );
    }
    return { backendUrl, secretsProvider };
  }
  if (/^awskms:\/\/.+/.test(secretsProvider)) return { backendUrl, secretsProvider };
  throw new Error(
    `${SECRETS_PROVIDER_VARIABLE} must be "passphrase" or "awskms://<key id, alias or ARN>?region=<region>", got "${secretsProvider}"`,
  );
}
