/**
 * The files a local RepoRunner keeps for its user, under `$REPORUNNER_HOME` (default `~/.reporunner`):
 * `npm start` / `reporunner up` write them, the CLI reads them, `reporunner down` removes them.
 * Secrets (token, passphrase) are created readable by the user only.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The folder; created on first use with mode 0700. */
export function reporunnerHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.REPORUNNER_HOME ?? path.join(os.homedir(), ".reporunner"));
}

/** Every file in the home folder, by purpose. */
export function homeFiles(home: string) {
  return {
    /** The API token the CLI sends (plain text; the server keeps only its digest). */
    token: path.join(home, "token"),
    /** The Pulumi passphrase of the local state backend. */
    passphrase: path.join(home, "passphrase"),
    /** Pulumi's file backend: `file://<home>/state`. */
    state: path.join(home, "state"),
    /** What `up` started and created: read by the CLI (API URL) and by `down` (what to remove). */
    instance: path.join(home, "instance.json"),
    /** Checkouts of run sources. */
    sources: path.join(home, "sources"),
  };
}

/** What a running (or last) `up` recorded. */
export interface InstanceRecord {
  /** Base URL of the Run API, e.g. `http://127.0.0.1:7380`. */
  readonly url: string;
  /** Process id of the API (and its workers); absent once it stopped. */
  readonly pid?: number;
  readonly startedAt: string;
  /** How the cluster was obtained, so `down` removes only what `up` created. */
  readonly cluster: {
    readonly provider: "kind" | "builtin" | "existing";
    /** `up` created it (kind cluster, or test environment started by `up`): `down` removes it. */
    readonly createdByUp: boolean;
    /** kind as built here: `up` started the test environment for its Docker engine, so `down` stops it. */
    readonly testEnvironmentStartedByUp?: boolean;
    readonly kubeconfig?: string;
    readonly context?: string;
  };
  /** Preview base URL (the gateway), when the platform has one. */
  readonly previewBaseUrl?: string;
  /** The API's environment (no plain secrets: the token is there as its digest), so `down` can restart it. */
  readonly apiEnv?: Readonly<Record<string, string>>;
}

export function ensureHome(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
}

export function readInstance(home: string): InstanceRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(homeFiles(home).instance, "utf8")) as InstanceRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${homeFiles(home).instance}: ${(error as Error).message}`, { cause: error });
  }
}

export function writeInstance(home: string, record: InstanceRecord): void {
  ensureHome(home);
  fs.writeFileSync(homeFiles(home).instance, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/**
 * A secret file's content, created with `generate()` and mode 0600 when missing. A file others can
 * read is refused rather than used: the user is told the `chmod` to run.
 */
export function readOrCreateSecret(file: string, generate: () => string): string {
  ensureHome(path.dirname(file));
  try {
    fs.writeFileSync(file, `${generate()}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = fs.statSync(file).mode & 0o077;
  if (mode !== 0) throw new Error(`${file} is readable by other users: run chmod 600 ${file}`);
  return fs.readFileSync(file, "utf8").trim();
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
