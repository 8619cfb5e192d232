/**
 * `reporunner down` (what `npm run down` runs): removes the runs, the platform stack, the cluster
 * `up` created and the home folder; nothing `up` did not make.
 */
import type { Command } from "commander";
import { reporunnerHome } from "../../local/home";
import { createProgress } from "../../local/progress";
import { commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";

export function registerDownCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("down")
    .description("remove every run, the platform stack, the cluster `up` created, and ~/.reporunner")
    .option("--json", "print one JSON object {removed: true, home} when done");
  command.action(
    commandAction("down", io, setExitCode, async (flags: { json?: boolean }) => {
      const home = reporunnerHome(io.env ?? process.env);
      // Loaded only when it runs: it drives the Pulumi engine.
      const { tearDown } = await import("../../local/tear-down");
      await tearDown({ home, progress: createProgress(4, flags.json ? io.stderr : io.stdout) });
      if (flags.json) io.stdout(`${JSON.stringify({ removed: true, home })}\n`);
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
A test environment that was already running before \`up\` is left running.

Exit: 0 everything removed; 1 a step failed (its cause is printed; run it again).

Examples:
  npm run down
  reporunner down --json`,
  );
}
