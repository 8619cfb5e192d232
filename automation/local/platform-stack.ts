import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { destroyAndRemove, upReadingNothing } from "../engine/lean-stack";

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
 * `up` with Pulumi's own output streamed; returns the stack outputs as plain values.
 *
 * The program runs in this process, as an inline program: no language host, no second Node.js and no
 * compile of the stack's TypeScript on every `up`; the outputs are taken from the program as the
 * engine resolved them, not read back (`stack output`, twice: masked, then plain). The config is
 * written only when the stack's settings file differs (`config set-all` is one more CLI start).
 */
export async function upPlatform(
  stack: Stack,
  config: ConfigMap,
  onLine: (line: string) => void,
): Promise<Record<string, unknown>> {
  if (!holdsConfig(await storedConfig(stack), config)) await stack.setAllConfig(config);
  let outputs: Promise<Record<string, unknown>> | undefined;
  const program = async () => {
    const exported = await platformProgram();
    outputs = new Promise((resolve) => pulumi.output(exported).apply(resolve));
    return exported;
  };
  await upReadingNothing(stack, { onOutput: lines(onLine), program });
  if (!outputs) throw new Error("the platform program did not run");
  // As `stack output --json` has them: a key whose value is undefined is not there.
  return JSON.parse(JSON.stringify(await outputs)) as Record<string, unknown>;
}

/** The platform program, as `stacks/index.ts` runs it for `reporunner:stack: platform`. */
async function platformProgram() {
  const [{ platform }, { readPlatformConfig }] = await Promise.all([
    import("../../stacks/platform"),
    import("../../stacks/config"),
  ]);
  return platform(readPlatformConfig());
}

/** The config in the stack's settings file (`Pulumi.<stack>.yaml`), read without the CLI; {} without one. */
async function storedConfig(stack: Stack): Promise<Readonly<Record<string, unknown>>> {
  try {
    return (await stack.workspace.stackSettings(stack.name)).config ?? {};
  } catch {
    return {}; // no settings file yet
  }
}

/**
 * Whether `stored` (a settings file's config) holds every value of `config` already. A secret is never
 * compared (the file has it encrypted): a config with one is always written.
 */
export function holdsConfig(stored: Readonly<Record<string, unknown>>, config: ConfigMap): boolean {
  return Object.entries(config).every(([key, wanted]) => {
    if (wanted.secret) return false;
    const value = stored[key];
    // The file is YAML: a value Pulumi wrote unquoted (a number, `true`) reads back as that type.
    return ["string", "number", "boolean"].includes(typeof value) && String(value) === wanted.value;
  });
}

export async function destroyPlatform(stack: Stack, onLine: (line: string) => void): Promise<void> {
  await destroyAndRemove(stack, { onOutput: lines(onLine) });
}

function lines(onLine: (line: string) => void): (text: string) => void {
  return (text) => {
    for (const line of text.split("\n")) onLine(line);
  };
}
