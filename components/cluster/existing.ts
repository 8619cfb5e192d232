import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** Where an existing cluster's kubeconfig is when none is configured: `$KUBECONFIG`, then `~/.kube/config`. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  return fromEnv ?? path.join(os.homedir(), ".kube", "config");
}

/**
 * Reads an existing cluster's kubeconfig and picks the context: the configured one, which must exist,
 * or the file's current context. Errors say which file and which context.
 */
export function readExistingKubeconfig(
  file: string,
  context?: string,
): { kubeconfig: string; context: string } {
  let kubeconfig: string;
  try {
    kubeconfig = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read kubeconfig ${file}: ${(error as Error).message}`, { cause: error });
  }
  const doc = (parse(kubeconfig) ?? {}) as { "current-context"?: string; contexts?: { name: string }[] };
  const names = (doc.contexts ?? []).map((c) => c.name);
  const chosen = context ?? doc["current-context"];
  if (!chosen) throw new Error(`kubeconfig ${file} has no current context: set cluster.context`);
  if (!names.includes(chosen)) {
    throw new Error(`kubeconfig ${file} has no context "${chosen}" (it has: ${names.join(", ") || "none"})`);
  }
  return { kubeconfig, context: chosen };
}
