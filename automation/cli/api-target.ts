/**
 * Where the CLI finds the Run API and which token it sends. The URL: `--api`, then `REPORUNNER_URL`,
 * then the URL `npm start` / `reporunner up` recorded in instance.json, then the default. The token:
 * `REPORUNNER_TOKEN`, then the token file in the RepoRunner home.
 */
import * as fs from "node:fs";
import { homeFiles, type InstanceRecord, readInstance, reporunnerHome } from "../local/home";
import { CliError, usageError } from "./cli-error";
import { EXIT } from "./io";

export const DEFAULT_API_URL = "http://127.0.0.1:7380";

/** The API a command talks to, and where each part came from (`status` shows it). */
export interface ApiTarget {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly urlSource: "--api" | "REPORUNNER_URL" | "instance.json" | "default";
  readonly token?: string;
  /** `REPORUNNER_TOKEN` or the token file's path. */
  readonly tokenSource?: string;
  readonly home: string;
  /** What a running (or the last) `up` recorded, if anything. */
  readonly instance?: InstanceRecord;
}

/** Resolves the target; `apiOption` is the command's `--api`. */
export function resolveApiTarget(apiOption: string | undefined, env: NodeJS.ProcessEnv): ApiTarget {
  const home = reporunnerHome(env);
  let instance: InstanceRecord | undefined;
  try {
    instance = readInstance(home);
  } catch (error) {
    // A broken instance.json should not stop a command that was given the URL some other way.
    if (!apiOption && !env.REPORUNNER_URL) throw new CliError(EXIT.refused, (error as Error).message);
  }
  const [raw, urlSource]: [string, ApiTarget["urlSource"]] = apiOption
    ? [apiOption, "--api"]
    : env.REPORUNNER_URL
      ? [env.REPORUNNER_URL, "REPORUNNER_URL"]
      : instance?.url
        ? [instance.url, "instance.json"]
        : [DEFAULT_API_URL, "default"];
  const url = checkUrl(raw, urlSource);
  const tokenFile = homeFiles(home).token;
  const [token, tokenSource] = env.REPORUNNER_TOKEN
    ? [env.REPORUNNER_TOKEN.trim(), "REPORUNNER_TOKEN"]
    : [readTokenFile(tokenFile), tokenFile];
  return { url, urlSource, home, instance, ...(token ? { token, tokenSource } : {}) };
}

/** The token, or the one line that says how to get one. */
export function requireToken(target: ApiTarget): string {
  if (target.token) return target.token;
  throw new CliError(
    EXIT.unreachable,
    `no API token (neither REPORUNNER_TOKEN nor ${homeFiles(target.home).token}): run \`npm start\` (or \`reporunner up\`) first`,
  );
}

function checkUrl(raw: string, source: ApiTarget["urlSource"]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${source} ${raw}: not a URL (write http://host:port)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${source} ${raw}: the Run API is reached over http:// or https://`);
  }
  return url.toString().replace(/\/+$/, "");
}

function readTokenFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(EXIT.refused, `cannot read the token file ${file}: ${(error as Error).message}`);
  }
}
