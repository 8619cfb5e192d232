/** `reporunner sign-in`: prints a new one-time link that signs this browser user in to the dashboard. */
import type { Command } from "commander";
import { ApiClient } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";

export function registerSignInCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command("sign-in")
    .description("print a one-time link that opens the dashboard signed in as the token's owner");
  addApiOptions(command, "print {url, expiresInSeconds} as one JSON object").action(
    commandAction("sign-in", io, setExitCode, async (flags: ApiFlags) => {
      const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
      requireToken(client.target);
      const link = await client.signInLink();
      if (flags.json) io.stdout(`${JSON.stringify(link)}\n`);
      else
        io.stdout(
          `${link.url}\n(open it in your browser within ${Math.round(link.expiresInSeconds / 60)} minutes; it works once)\n`,
        );
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 printed; 1 the API refused the token; 3 the API cannot be reached.

Examples:
  reporunner sign-in`,
  );
}
