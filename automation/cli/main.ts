import { Command, CommanderError } from "commander";
import { commanderErrorLine } from "./command-action";
import { registerDownCommand } from "./commands/down";
import { registerExtendCommand } from "./commands/extend";
import { registerFollowCommand } from "./commands/follow";
import { registerLogsCommand } from "./commands/logs";
import { registerLsCommand } from "./commands/ls";
import { registerRmCommand } from "./commands/rm";
import { registerSignInCommand } from "./commands/sign-in";
import { registerRunCommand } from "./commands/run";
import { registerStatusCommand } from "./commands/status";
import { registerUpCommand } from "./commands/up";
import { type CliIO, EXIT, processIO } from "./io";
import { registerTranslateCommand } from "./translate";

/** Each command registers itself on the program, in the order `--help` lists them. */
const COMMANDS: readonly ((program: Command, io: CliIO, setExitCode: (code: number) => void) => void)[] = [
  registerUpCommand,
  registerDownCommand,
  registerRunCommand,
  registerFollowCommand,
  registerLsCommand,
  registerLogsCommand,
  registerRmCommand,
  registerExtendCommand,
  registerStatusCommand,
  registerSignInCommand,
  registerTranslateCommand,
];

const HELP_AFTER = `
Exit codes (every command):
  0    done; for run/follow: the run is READY
  1    the run failed (its reason is printed) or the API refused the request (its message and field)
  2    usage error: an unknown option, a missing argument, a bad value
  3    the Run API cannot be reached or cannot serve (not started, no token, connection refused, 5xx)
  4    no such run (or it belongs to another token)
  130  Ctrl-C while following a run (the run goes on)

The API is $REPORUNNER_URL (or --api), else the URL in ~/.reporunner/instance.json, else
http://127.0.0.1:7380; the token is $REPORUNNER_TOKEN, else ~/.reporunner/token. Start the API with
\`npm start\` (or \`reporunner up\`).

Examples:
  reporunner up                     (what \`npm start\` runs; \`reporunner down\` = \`npm run down\`)
  reporunner run https://github.com/docker/getting-started-app.git
  reporunner run . --uncommitted
  reporunner ls
  reporunner logs k3x9a7b2qd --tail 50
  reporunner rm k3x9a7b2qd
  reporunner extend k3x9a7b2qd --ttl 14400
  reporunner status
Each command's --help has more.`;

/** The `reporunner` command line. */
export function createProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command("reporunner")
    .description("run any Git repository in an isolated Kubernetes namespace")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText("after", HELP_AFTER);
  for (const register of COMMANDS) register(program, io, setExitCode);
  // Commander's own usage errors, like the commands' errors, are one line that names the command.
  for (const command of [program, ...program.commands]) {
    command.configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(commanderErrorLine(command.name(), text)),
    });
  }
  return program;
}

/**
 * `npm run api` (`bin/api.js`) from the compiled CLI: the Run API alone, configured from the
 * environment. Loaded only when called, like every command's modules.
 */
export async function serveApi(): Promise<void> {
  await (await import("../server")).serve();
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
