import * as path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";

/** How the Automation API starts the CLI (`PulumiCommand.run`, internal to the SDK, stable since 3.100). */
type Run = (
  args: string[],
  cwd: string,
  additionalEnv: Record<string, string>,
  onOutput?: (data: string) => void,
  onError?: (data: string) => void,
  signal?: AbortSignal,
) => Promise<unknown>;

/** Set by the SDK itself on every CLI call; never unset. */
const SDK_VARIABLES = new Set(["PULUMI_AUTOMATION_API"]);

/**
 * The Pulumi CLI, started with exactly the environment the workspace gives it. The SDK starts the
 * CLI with this process's environment plus the workspace's `envVars` (execa's `extendEnv`), which
 * would hand the Run API's variables (database and Redis URLs, AWS credentials) to the CLI, its
 * language host, its providers and every command a run executes. This command runs the CLI through
 * `env -u NAME…`, unsetting every inherited variable the workspace did not set: names only travel on
 * the command line, never values, and `env` execs the CLI in place, so cancelling still signals it.
 */
export async function pulumiCommandWithOwnEnvironment(): Promise<PulumiCommand> {
  const cli = await PulumiCommand.get();
  const run = (cli as unknown as { run: Run }).run;
  // `env` found on PATH, not `/usr/bin/env`: the SDK prepends an absolute command's folder to PATH,
  // which would put the system's node before the one the project runs with.
  const envCommand = Object.create(cli, { command: { value: "env" } }) as PulumiCommand;
  const wrapped = Object.create(cli) as PulumiCommand & { run: Run };
  wrapped.run = (args, cwd, additionalEnv, onOutput, onError, signal) => {
    const env = { ...additionalEnv };
    if (path.isAbsolute(cli.command)) {
      // What the SDK does for an absolute CLI: its own folder first, for the plugins bundled with it.
      env.PATH = [path.dirname(cli.command), env.PATH ?? ""].filter(Boolean).join(path.delimiter);
    }
    // Not configuration: this process's live environment is what the SDK's spawn would inherit.
    return run.call(
      envCommand,
      [...unsetArguments(process.env, env), "--", cli.command, ...args],
      cwd,
      env,
      onOutput,
      onError,
      signal,
    );
  };
  return wrapped;
}

/** `-u NAME` for every variable of `inherited` that `wanted` does not set. */
export function unsetArguments(
  inherited: Readonly<Record<string, string | undefined>>,
  wanted: Readonly<Record<string, string>>,
): string[] {
  return Object.keys(inherited)
    .filter((name) => !(name in wanted) && !SDK_VARIABLES.has(name))
    .sort()
    .flatMap((name) => ["-u", name]);
}

/** The CLI, each command's arguments edited by `edit` first. */
export function withArguments(cli: PulumiCommand, edit: (args: string[]) => string[]): PulumiCommand {
  const run = (cli as unknown as { run: Run }).run;
  const wrapped = Object.create(cli) as PulumiCommand & { run: Run };
  wrapped.run = (args, ...rest) => run.call(cli, edit(args), ...rest);
  return wrapped;
}

/**
 * `up` and `destroy` connecting to a program host (`program-host/host-main.ts`) at `address` instead
 * of starting a language host of their own: what the SDK does for an inline program (`--client`,
 * execution kind `auto.inline`), with the program served by a warm process instead of this one.
 */
export function programHostArguments(args: readonly string[], address: string): string[] {
  if (args[0] !== "up" && args[0] !== "destroy") return [...args];
  const kindAt = args.indexOf("--exec-kind");
  const inline = args.map((arg, i) => (kindAt >= 0 && i === kindAt + 1 ? "auto.inline" : arg));
  return [...inline, `--client=${address}`];
}
