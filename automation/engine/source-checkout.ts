import * as fs from "node:fs/promises";
import * as path from "node:path";
import { simpleGit } from "simple-git";

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
 */
export async function checkoutSource(
  request: CheckoutRequest,
): Promise<{ commitSha: string; bytes: number }> {
  await fs.mkdir(request.dir, { recursive: true });
  // Only what git needs: an inherited EDITOR, GIT_SSH_COMMAND or GIT_CONFIG_* could run commands or
  // change what is fetched (simple-git refuses those too).
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0" };
  for (const key of ["PATH", "HOME", "LANG", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "SSL_CERT_FILE"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  if (request.token) {
    const basic = Buffer.from(`x-access-token:${request.token}`).toString("base64");
    Object.assign(env, {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    });
  }
  const git = simpleGit({
    baseDir: request.dir,
    // simple-git drops GIT_* variables unless they are named: these are the ones set above.
    allowEnvironment: Object.keys(env).filter((key) => key.startsWith("GIT_")),
    timeout: { block: request.timeoutMs ?? 5 * 60_000 },
    progress: request.onProgress
      ? ({ method, stage, progress }) => request.onProgress!(`${method} ${stage}: ${progress}%`)
      : undefined,
  }).env(env);
  try {
    await git.init();
    await git.addRemote("origin", request.repoUrl);
    await git.fetch(["--depth", "1", "--no-tags", "origin", request.ref ?? "HEAD"]);
    await git.checkout(["--detach", "FETCH_HEAD"]);
    if (request.submodules) await git.subModule(["update", "--init", "--recursive", "--depth", "1"]);
  } catch (error) {
    throw new CheckoutError(
      `cannot fetch ${request.ref ?? "the default branch"} of ${request.repoUrl}: ${gitReason(error)}`,
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

/** The last meaningful line git printed, without anything that looks like a credential. */
function gitReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/authorization|x-access-token/i.test(l));
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
