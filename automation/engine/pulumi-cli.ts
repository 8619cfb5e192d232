/**
 * The Pulumi CLI calls that need no stack and no program: readiness (`whoami`) and the orphan
 * sweeper's listing (`stack ls`). They run the CLI directly, with the environment the engine gives it
 * (`cliEnvironment`), so a process can answer them without loading the Automation API (~100 MiB):
 * an idle API and its sweeper never do.
 */
import { execFile } from "node:child_process";
import { cliEnvironment } from "./engine-config";
import { workspaceBackend } from "./workspace-backend";

/** Where the CLI runs: the project folder (its Pulumi.yaml names the stacks' project) and its environment. */
export interface PulumiCliOptions {
  readonly projectDir: string;
  readonly pulumiEnv: Readonly<Record<string, string>>;
}

const TIMEOUT_MS = 60_000;

/** Runs `pulumi <args> --non-interactive` and resolves to its stdout; the error carries its first stderr line. */
function runPulumi(options: PulumiCliOptions, args: readonly string[]): Promise<string> {
  const env = {
    ...cliEnvironment(options.pulumiEnv, workspaceBackend(options.pulumiEnv)),
    // What the Automation API sets on every call: no prompts, no update check.
    PULUMI_AUTOMATION_API: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      [...args, "--non-interactive"],
      { cwd: options.projectDir, env, timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const said = stderr.trim().split("\n")[0] || error.message.split("\n")[0];
        reject(new Error(`pulumi ${args.join(" ")} failed: ${said}`, { cause: error }));
      },
    );
  });
}

/** Throws when the CLI cannot reach its backend (or is missing): the engine's readiness. */
export async function pulumiWhoAmI(options: PulumiCliOptions): Promise<void> {
  await runPulumi(options, ["whoami", "--json"]);
}

/** The run ids that have a stack (`run-<id>`) in the project's backend. */
export async function listRunStackIds(options: PulumiCliOptions): Promise<string[]> {
  const stacks = JSON.parse(await runPulumi(options, ["stack", "ls", "--json"])) as { name: string }[];
  return stacks
    .map((s) => s.name.split("/").pop()!)
    .flatMap((name) => (name.startsWith("run-") ? [name.slice(4)] : []));
}
