import * as fs from "node:fs/promises";
import * as path from "node:path";
import { simpleGit } from "simple-git";
import {
  checkRepoSource,
  type CheckedSource,
  type Resolver,
  type UrlPolicyOptions,
} from "../runs/url-policy";

export interface CheckoutRequest {
  readonly repoUrl: string;
  /** Branch, tag or commit SHA; unset: the remote's default branch (HEAD). */
  readonly ref?: string;
  /** Where the working tree goes; must not exist yet or be empty. */
  readonly dir: string;
  /** A token for a private repository over HTTPS. Sent as a header, never written to disk or a URL. */
  readonly token?: string;
  /** Fail when the clone takes longer (default 5 minutes). */
  readonly timeoutMs?: number;
  /** Fail when the checked-out tree is larger (default 1 GiB). */
  readonly maxBytes?: number;
  /** Fetch submodules too (default off). */
  readonly submodules?: boolean;
  /** Progress lines (`Receiving objects: 42%`). */
  readonly onProgress?: (line: string) => void;
  /**
   * The URL policy, checked again right before the clone, which then connects only to the addresses
   * this check resolved: a host whose DNS answer changed since the run was created (rebinding) cannot
   * take the clone elsewhere. Unset: the URL is fetched as it is (a source the caller trusts).
   */
  readonly urlPolicy?: UrlPolicyOptions;
  /** The resolver of that check (default: the system's). */
  readonly resolver?: Resolver;
  /**
   * Where git's few inherited variables (PATH, HOME, LANG, SSL_CERT_FILE, proxies) come from: the
   * engine's configured environment (`EngineConfig.environment`), not whatever this process has now.
   */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/** Why a checkout failed, in words fit for a user. */
export class CheckoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CheckoutError";
  }
}

/**
 * A shallow checkout of one ref (branch, tag or commit: `git fetch --depth 1 <ref>` takes all three)
 * and the commit SHA it resolved to, which the run pins. The token travels in git's environment
 * (GIT_CONFIG_*), so it appears in no command line, no `.git/config` and no remote URL.
 *
 * With a `urlPolicy`, the URL is checked here once more and git is held to what was checked: the host
 * name is pinned to the checked addresses (`http.curloptResolve`, so curl does no lookup of its own),
 * only the URL's scheme is allowed (`protocol.allow`), and no proxy is used (a proxy would look the
 * name up itself). Redirects are never followed (`http.followRedirects=false`): a redirect could name
 * any address, and git would fetch it unchecked.
 */
export async function checkoutSource(
  request: CheckoutRequest,
): Promise<{ commitSha: string; bytes: number }> {
  const source = request.urlPolicy ? await checkSource(request) : undefined;
  const pinned = source?.kind === "remote" && source.addresses.length > 0;
  if (source?.kind === "remote" && request.submodules) {
    // A submodule's URL comes from the repository itself and would be fetched unchecked.
    throw new CheckoutError("submodules are not fetched when repository URLs are checked");
  }
  await fs.mkdir(request.dir, { recursive: true });
  // Only what git needs: an inherited EDITOR, GIT_SSH_COMMAND or GIT_CONFIG_* could run commands or
  // change what is fetched (simple-git refuses those too).
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0" };
  const passed = ["PATH", "HOME", "LANG", "SSL_CERT_FILE"];
  if (!pinned) passed.push("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY");
  for (const key of passed) {
    const value = request.environment[key];
    if (value !== undefined) env[key] = value;
  }
  // Settings for every git process of the checkout (submodules too), through the environment.
  const settings: [string, string][] = [["http.followRedirects", "false"]];
  if (source?.kind === "remote") {
    const scheme = new URL(source.url).protocol.slice(0, -1);
    settings.push(["protocol.allow", "never"], [`protocol.${scheme}.allow`, "always"]);
  }
  if (pinned) {
    const addresses = source.addresses.map((a) => (a.includes(":") ? `[${a}]` : a)).join(",");
    settings.push(["http.proxy", ""], ["http.curloptResolve", `${source.host}:${source.port}:${addresses}`]);
  }
  if (request.token) {
    const basic = Buffer.from(`x-access-token:${request.token}`).toString("base64");
    settings.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
  }
  env.GIT_CONFIG_COUNT = String(settings.length);
  settings.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  const repoUrl = source?.kind === "remote" ? source.url : request.repoUrl;
  const git = simpleGit({
    baseDir: request.dir,
    // simple-git drops GIT_* variables unless they are named: these are the ones set above.
    allowEnvironment: Object.keys(env).filter((key) => key.startsWith("GIT_")),
    // The GIT_CONFIG_* settings above are ours, not a caller's; simple-git still screens each one,
    // and `protocol.*` only with its override (ours narrows the protocols git may use, to one).
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeProtocolOverride: source?.kind === "remote" },
    timeout: { block: request.timeoutMs ?? 5 * 60_000 },
    progress: request.onProgress
      ? ({ method, stage, progress }) => request.onProgress!(`${method} ${stage}: ${progress}%`)
      : undefined,
  }).env(env);
  try {
    await git.init();
    await git.addRemote("origin", repoUrl);
    await git.fetch(["--depth", "1", "--no-tags", "origin", request.ref ?? "HEAD"]);
    await git.checkout(["--detach", "FETCH_HEAD"]);
    if (request.submodules) await git.subModule(["update", "--init", "--recursive", "--depth", "1"]);
  } catch (error) {
    throw new CheckoutError(
      `cannot fetch ${request.ref ?? "the default branch"} of ${repoUrl}: ${gitReason(error)}`,
      {
        cause: error,
      },
    );
  }
  const commitSha = (await git.revparse(["HEAD"])).trim();
  const bytes = await treeSize(request.dir);
  const maxBytes = request.maxBytes ?? 1024 ** 3;
  if (bytes > maxBytes) {
    throw new CheckoutError(
      `the repository is ${bytes} bytes checked out, more than the limit of ${maxBytes}`,
    );
  }
  return { commitSha, bytes };
}

/** The policy check at clone time; a refusal is a CheckoutError in the policy's words. */
async function checkSource(request: CheckoutRequest): Promise<CheckedSource> {
  try {
    return await checkRepoSource(request.repoUrl, request.urlPolicy!, request.resolver);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckoutError(`refusing to fetch ${request.repoUrl}: ${reason}`, { cause: error });
  }
}

/** The last meaningful line git printed, without anything that looks like a credential. */
function gitReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/authorization|x-access-token/i.test(l));
  const redirect = /returned error: (30[0-8])\b/.exec(text)?.[1];
  if (redirect) {
    return `the server answered with a redirect (HTTP ${redirect}), which is not followed: use the repository's final URL`;
  }
  return lines.find((l) => /^fatal:/.test(l))?.replace(/^fatal:\s*/, "") ?? lines.at(-1) ?? "git failed";
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}
