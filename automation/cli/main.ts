import { Command, CommanderError } from "commander";
import { type CliIO, EXIT, processIO } from "./io";
import { registerTranslateCommand } from "./translate";

/**
 * The `reporunner` command line. Each command registers itself on the program; commands that need
 * a cluster or the API server are added beside `translate` the same way.
 */
export function createProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command("reporunner")
    .description("run any Git repository in an isolated Kubernetes namespace")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerTranslateCommand(program, io, setExitCode);
  return program;
}

/** Runs the command line `argv` (as in `process.argv`) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    // exitOverride turns commander's own exits (help, usage errors) into errors; keep their meaning.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode;
}
