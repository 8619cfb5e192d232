/** `reporunner logs <id>`: the last lines of a run's workload logs. */
import type { Command } from "commander";
import { ApiClient } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";
import { integer, runId } from "../option-parsers";
import { clean } from "../progress";

interface LogsFlags extends ApiFlags {
  readonly tail: number;
}

export function registerLogsCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("logs")
    .description("print the last lines of a run's workload logs")
    .argument("<id>", "the run id", runId)
    .option("--tail <n>", "how many lines", integer(1, 5000, "--tail"), 200);
  addApiOptions(command, "print {id, lines, truncated} as one JSON object").action(
    commandAction("logs", io, setExitCode, async (id: string, flags: LogsFlags) => {
      const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
      requireToken(client.target);
      const logs = await client.logs(id, flags.tail);
      if (flags.json) {
        io.stdout(`${JSON.stringify(logs, null, 2)}\n`);
        return EXIT.ok;
      }
      // The lines are the workloads' own output: no escape sequence of theirs reaches the terminal.
      for (const line of logs.lines) io.stdout(`${clean(line)}\n`);
      if (logs.truncated) io.stderr(`(the last ${flags.tail} lines; --tail <n> for more)\n`);
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 printed, 1 the run has no workloads now (e.g. DESTROYED) or the API refused, 3 API
unreachable or logs unavailable, 4 no such run.

Examples:
  reporunner logs k3x9a7b2qd
  reporunner logs k3x9a7b2qd --tail 50`,
  );
}
