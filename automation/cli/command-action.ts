/**
 * How a command ends: its action resolves to an exit code, and every failure, its own or commander's,
 * becomes one line on stderr, `reporunner <command>: <what is wrong>`, never a stack trace.
 */
import { type Command, InvalidArgumentError } from "commander";
import { CliError } from "./cli-error";
import { type CliIO, EXIT } from "./io";

/** Options of every command that talks to the Run API. */
export interface ApiFlags {
  readonly api?: string;
  readonly json?: boolean;
}

/** Adds `--api <url>` and `--json` (with what it prints) to a command. */
export function addApiOptions(command: Command, json: string): Command {
  return command
    .option(
      "--api <url>",
      "the Run API (default: $REPORUNNER_URL, ~/.reporunner/instance.json, http://127.0.0.1:7380)",
    )
    .option("--json", json);
}

/** Wraps a command's action: sets its exit code, prints its failure as one line. */
export function commandAction<A extends unknown[]>(
  name: string,
  io: CliIO,
  setExitCode: (code: number) => void,
  action: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      setExitCode(await action(...args));
    } catch (error) {
      io.stderr(`reporunner ${name}: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
      setExitCode(error instanceof CliError ? error.exitCode : EXIT.refused);
    }
  };
}

/** Commander's own error text (`error: unknown option '--x'\n(Did you mean --y?)`) as one line. */
export function commanderErrorLine(commandName: string, text: string): string {
  const where = commandName === "reporunner" ? "reporunner" : `reporunner ${commandName}`;
  return `${where}: ${oneLine(text.replace(/^error: /, ""))} (see ${where} --help)\n`;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}

/** An option value commander reports as a usage error (exit 2). */
export function invalid(message: string): never {
  throw new InvalidArgumentError(message);
}
