/** `reporunner rm <id>`: destroys a run and, unless told not to, waits until it is DESTROYED. */
import type { Command } from "commander";
import { FINAL, type RunState } from "../../runs/states";
import { ApiClient } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { followRun, FollowInterrupted } from "../follow-events";
import { type CliIO, EXIT, processIO } from "../io";
import { runId } from "../option-parsers";
import { Progress } from "../progress";

interface RmFlags extends ApiFlags {
  /** commander's `--no-wait` sets `wait: false`. */
  readonly wait: boolean;
}

/** Where a destroy ends: gone, or failed (the reason says why). */
const DESTROY_ENDS: readonly RunState[] = [...FINAL, "FAILED"];

export function registerRmCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("rm")
    .description("destroy a run (its namespace, workloads and stack) and wait until it is DESTROYED")
    .argument("<id>", "the run id", runId)
    .option("--no-wait", "return once the API has accepted the removal");
  addApiOptions(command, "print the run (after the removal) as one JSON object").action(
    commandAction("rm", io, setExitCode, (id: string, flags: RmFlags) => removeRun(id, flags, io)),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 DESTROYED (or accepted, with --no-wait), 1 the destroy failed (its reason is printed) or the
API refused, 3 API unreachable, 4 no such run, 130 Ctrl-C (the removal goes on).

Examples:
  reporunner rm k3x9a7b2qd
  reporunner rm k3x9a7b2qd --no-wait`,
  );
}

async function removeRun(id: string, flags: RmFlags, io: CliIO): Promise<number> {
  const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
  requireToken(client.target);
  const accepted = await client.deleteRun(id);
  if (!flags.wait || FINAL.includes(accepted.status)) {
    if (flags.json) io.stdout(`${JSON.stringify(await client.getRun(id), null, 2)}\n`);
    else io.stdout(`run ${id} ${FINAL.includes(accepted.status) ? accepted.status : "is being removed"}\n`);
    return EXIT.ok;
  }
  // The stream replays the run's whole history first: show only the destroy.
  const progress = new Progress(io, { from: "DESTROYING" });
  progress.line(`removing run ${id}`);
  const interrupt = new AbortController();
  const release = (io.onInterrupt ?? processIO.onInterrupt!)(() => interrupt.abort());
  try {
    const run = await followRun({
      client,
      runId: id,
      until: (status) => DESTROY_ENDS.includes(status),
      onEvent: (event) => progress.event(event),
      signal: interrupt.signal,
    });
    progress.done();
    if (flags.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
    if (!FINAL.includes(run.status)) {
      io.stderr(
        `reporunner rm: run ${id} is ${run.status}, not removed${run.reason ? `: ${run.reason}` : ""}\n`,
      );
      return EXIT.refused;
    }
    if (!flags.json) io.stdout(`run ${id} ${run.status}\n`);
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof FollowInterrupted)) throw error;
    progress.line(`stopped waiting; the removal goes on. Check it: reporunner ls`);
    return EXIT.interrupted;
  } finally {
    release();
    progress.done();
  }
}
