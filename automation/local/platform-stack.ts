import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { destroyAndRemove, upWithEventOutputs } from "../engine/lean-stack";

export const PLATFORM_STACK = "dev";

/**
 * The `dev` platform stack of a local RepoRunner, driven through the Automation API. Its workspace is
 * a folder of the user's home whose Pulumi.yaml points (`main`) at this repository's program, so the
 * stack's settings and encryption salt are written there, never into the checkout.
 */
export async function platformStack(options: {
  readonly home: string;
  readonly projectDir: string;
  /** Environment of the Pulumi CLI: backend, passphrase file, PULUMI_HOME, PATH. */
  readonly pulumiEnv: Readonly<Record<string, string>>;
}): Promise<Stack> {
  const workDir = path.join(options.home, "project");
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const workspace = await LocalWorkspace.create({
    workDir,
    projectSettings: {
      name: "reporunner",
      runtime: { name: "nodejs", options: { typescript: true } },
      main: options.projectDir,
    },
    envVars: { ...options.pulumiEnv },
  });
  return Stack.createOrSelect(PLATFORM_STACK, workspace);
}

/**
 * `up` with Pulumi's own output streamed; returns the stack outputs as plain values (from the engine's
 * events, read back only for secrets: see `lean-stack.ts`).
 */
export async function upPlatform(
  stack: Stack,
  config: ConfigMap,
  onLine: (line: string) => void,
): Promise<Record<string, unknown>> {
  await stack.setAllConfig(config);
  const outputs = await upWithEventOutputs(stack, { onOutput: lines(onLine) });
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
}

export async function destroyPlatform(stack: Stack, onLine: (line: string) => void): Promise<void> {
  await destroyAndRemove(stack, { onOutput: lines(onLine) });
}

function lines(onLine: (line: string) => void): (text: string) => void {
  return (text) => {
    for (const line of text.split("\n")) onLine(line);
  };
}
