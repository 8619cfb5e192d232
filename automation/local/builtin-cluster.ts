import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runStreaming } from "./run-script";

/**
 * The built-in cluster (`builtin-cluster/`): built from the registries or reused from the cache
 * (`npm run setup`), then started (`npm run env:up`). It runs machine-wide, so `up` notes whether it
 * started it: `down` stops only an environment that `up` started.
 */
export interface BuiltinCluster {
  /** `.builtin-cluster/env`: KUBECONFIG, KUBE_CONTEXT, CONTAINERD_ADDRESS, REDIS_URL, MONGODB_URL, PATH, … */
  readonly env: Readonly<Record<string, string>>;
  readonly startedByUp: boolean;
}

export function builtinClusterRunning(projectDir: string): boolean {
  try {
    execFileSync("bash", [path.join(projectDir, "builtin-cluster", "env", "status.sh")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function ensureBuiltinCluster(
  projectDir: string,
  onLine: (line: string) => void,
): Promise<BuiltinCluster> {
  const bash = (script: string) =>
    runStreaming("bash", [path.join(projectDir, script)], { cwd: projectDir, onLine });
  await bash("builtin-cluster/setup.sh");
  const wasRunning = builtinClusterRunning(projectDir);
  // Idempotent: keeps what runs and (re)writes .builtin-cluster/env.
  await bash("builtin-cluster/env/up.sh");
  // The stand-in images of the platform's services (no image can be pulled on this machine).
  await bash("testenv/images/build-standins.sh");
  return { env: readBuiltinClusterEnv(projectDir), startedByUp: !wasRunning };
}

export async function stopBuiltinCluster(projectDir: string, onLine: (line: string) => void): Promise<void> {
  await runStreaming("bash", [path.join(projectDir, "builtin-cluster", "env", "down.sh")], {
    cwd: projectDir,
    onLine,
  });
}

/** `.builtin-cluster/env` as a record (KEY=VALUE lines, `#` comments). */
export function readBuiltinClusterEnv(projectDir: string): Record<string, string> {
  const file = path.join(projectDir, ".builtin-cluster", "env");
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}
