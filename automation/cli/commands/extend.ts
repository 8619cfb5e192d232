/** `reporunner extend <id> --ttl <seconds>`: moves a run's expiry to that many seconds from now. */
import { type Command, Option } from "commander";
import { ApiClient } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";
import { integer, runId } from "../option-parsers";

interface ExtendFlags extends ApiFlags {
  readonly ttl: number;
}

export function registerExtendCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command("extend")
    .description("set a run's expiry to --ttl seconds from now (the API's maximum applies)")
    .argument("<id>", "the run id", runId)
    // The same bounds as `run --ttl`; the API refuses more than its own maximum, and says which.
    .addOption(
      new Option("--ttl <seconds>", "seconds from now until the run is removed")
        .argParser(integer(60, 31_536_000, "--ttl"))
        .makeOptionMandatory(),
    );
  addApiOptions(command, "print the run (with its new expiresAt) as one JSON object").action(
    commandAction("extend", io, setExitCode, async (id: string, flags: ExtendFlags) => {
      const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
      requireToken(client.target);
      const run = await client.extendRun(id, flags.ttl);
      if (flags.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
      else io.stdout(`run ${id} expires at ${run.expiresAt}\n`);
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 extended, 1 the API refused (a ttl above its maximum, a run being removed or gone), 3 API
unreachable, 4 no such run.

Examples:
  reporunner extend k3x9a7b2qd --ttl 14400`,
  );
}
