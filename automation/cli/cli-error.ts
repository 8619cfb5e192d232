import { EXIT, type ExitCode } from "./io";

/**
 * A failure a command reports as one line on stderr (`reporunner <cmd>: <message>`) with its exit
 * code. Anything else that escapes a command is a bug, still shown as one line (never a stack trace).
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
  }
}

/** A wrong argument or option value: exit 2. */
export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}
