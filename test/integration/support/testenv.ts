import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  programHostsFor,
  PulumiRunEngine,
  type RunTarget,
} from "../../../automation/engine/pulumi-run-engine";

/** The project's root: Pulumi.yaml, package.json and the env file live here. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");
const ENV_FILE = path.join(PROJECT_DIR, ".builtin-cluster", "env");

/**
 * Reads the env file `npm run env:up` writes and puts it into this process's environment (PATH to
 * the engine and kubectl, the kubeconfig, the file backend). Integration tests never skip: without
 * the environment they fail and say how to bring it up.
 */
export function useTestEnvironment(): Record<string, string> {
  if (!fs.existsSync(ENV_FILE)) {
    throw new Error(
      `the test environment is not up (${ENV_FILE} is missing): run \`npm run setup && npm run env:up\`, or \`npm test\`, which does both`,
    );
  }
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(ENV_FILE, "utf8").split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2];
  }
  Object.assign(process.env, env, { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
  return env;
}

/** Runs kubectl against the test cluster and returns its stdout. */
export function kubectl(args: string[], input?: string): string {
  return execFileSync(process.env.KUBECTL ?? "kubectl", args, {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Polls `check` until it returns a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
}

/** Fetches a URL and returns its body, or undefined while it does not answer. */
export async function bodyOf(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A real Git repository made from a fixture folder, served by file URL: what a run clones.
 * Returns its URL and the commit it holds.
 */
export function gitRepositoryFrom(fixture: string): { url: string; commitSha: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reporunner-repo-${path.basename(fixture)}-`));
  fs.cpSync(fixture, dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    }).trim();
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "fixture");
  // Let a shallow fetch ask for any commit, as hosted Git servers do.
  git("config", "uploadpack.allowAnySHA1InWant", "true");
  return { url: `file://${dir}`, commitSha: git("rev-parse", "HEAD"), dir };
}

/** Objects of every namespaced kind carrying a label, as `kind/name` lines (empty when none is left). */
export function objectsLabelled(selector: string): string[] {
  const out = kubectl([
    "get",
    "all,configmaps,secrets,pvc,networkpolicies,serviceaccounts",
    "-A",
    "-l",
    selector,
    "-o",
    "name",
  ]);
  return out.split("\n").filter(Boolean);
}

export const FIXTURES = path.join(PROJECT_DIR, "test", "fixtures");

/** A platform stack's `reporunner:cluster` for the test cluster: `existing`, images into its containerd. */
export function testClusterConfig(env: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    value: JSON.stringify({
      provider: "existing",
      kubeconfig: env.KUBECONFIG,
      context: env.KUBE_CONTEXT,
      imageLoad: "containerd",
      containerdAddress: env.CONTAINERD_ADDRESS,
      ...extra,
    }),
  };
}

/** A platform stack's whole config with only the preview gateway (stand-in nginx) on the test cluster. */
export function gatewayOnlyPlatformConfig(
  env: Record<string, string>,
  spec: { infraNamespace: string; previewBaseUrl: string; previewPort: number },
) {
  const off = { enabled: false };
  return {
    "reporunner:stack": { value: "platform" },
    "reporunner:infraNamespace": { value: spec.infraNamespace },
    "reporunner:previewBaseUrl": { value: spec.previewBaseUrl },
    "reporunner:cluster": testClusterConfig(env, { previewPort: spec.previewPort }),
    "reporunner:services": {
      value: JSON.stringify({
        redis: off,
        mongodb: off,
        kafka: off,
        rabbitmq: off,
        otelCollector: off,
        jaeger: off,
        gateway: { image: "reporunner-standin/nginx:1" },
      }),
    },
  };
}

/** A platform stack's whole config with only Redis (its stand-in image) on the test cluster. */
export function redisOnlyPlatformConfig(env: Record<string, string>, infraNamespace: string) {
  const off = { enabled: false };
  return {
    "reporunner:stack": { value: "platform" },
    "reporunner:infraNamespace": { value: infraNamespace },
    "reporunner:cluster": testClusterConfig(env),
    "reporunner:services": {
      value: JSON.stringify({
        redis: { image: "reporunner-standin/redis:7" },
        mongodb: off,
        kafka: off,
        rabbitmq: off,
        otelCollector: off,
        jaeger: off,
        gateway: off,
      }),
    },
  };
}

/**
 * The real engine aimed at the test cluster: images go into its containerd, previews are reached on
 * 127.0.0.1, runs are checked out into a fresh folder. `target` and `pulumiEnv` entries override.
 */
export function testEnvironmentEngine(
  env: Record<string, string>,
  overrides: {
    target?: Partial<RunTarget>;
    pulumiEnv?: Record<string, string>;
    /** How many program hosts (default 2: tests deploy in pairs); 0: a language host per update. */
    programHosts?: number;
  } = {},
): PulumiRunEngine {
  const pulumiEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    ...overrides.pulumiEnv,
  };
  return new PulumiRunEngine({
    projectDir: PROJECT_DIR,
    sourcesDir: fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-sources-")),
    target: {
      kubeconfig: fs.readFileSync(env.KUBECONFIG, "utf8"),
      kubeContext: env.KUBE_CONTEXT,
      imageLoader: { method: "containerd-import", containerdAddress: env.CONTAINERD_ADDRESS },
      previewHost: "127.0.0.1",
      ...overrides.target,
    },
    pulumiEnv,
    // As `npm start` runs: updates run the program in warm program hosts.
    programHosts:
      overrides.programHosts === 0 ? undefined : programHostsFor({ pulumiEnv }, overrides.programHosts ?? 2),
  });
}
