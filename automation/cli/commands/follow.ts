/**
 * `reporunner follow <id>`: follows a run's events until it settles, then shows its preview URLs or
 * why it failed. `run` does the same right after creating the run.
 */
import type { Command } from "commander";
import { SETTLED } from "../../runs/states";
import { ApiClient, type RunView } from "../api-client";
import { resolveApiTarget } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { followRun, FollowInterrupted, type ReconnectPolicy } from "../follow-events";
import { type CliIO, EXIT, processIO } from "../io";
import { awaitLocalUrls, type LocalUrlsWait, type LocalUrlsWaitOptions } from "../local-urls-wait";
import { runId } from "../option-parsers";
import { Progress } from "../progress";

export function registerFollowCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command("follow")
    .description("follow a run's progress until it is READY or has failed")
    .argument("<id>", "the run id", runId);
  addApiOptions(command, "print the final run as one JSON object on stdout").action(
    commandAction("follow", io, setExitCode, async (id: string, flags: ApiFlags) => {
      const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
      // Fails fast (no such run, API down) before the follower's patient reconnects.
      await client.getRun(id);
      return watchRun(client, id, io, { json: flags.json === true, command: "follow" });
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 READY, 1 FAILED (the reason is printed) or ended otherwise, 3 API unreachable, 4 no such run,
130 Ctrl-C (the run goes on).

Example:
  reporunner follow k3x9a7b2qd`,
  );
}

/** Options of a watch; `reconnect` and `localUrls` let tests shorten the waits. */
export interface WatchOptions {
  readonly json: boolean;
  /** The command name for the failure line (`reporunner run: ...`). */
  readonly command: string;
  readonly reconnect?: Partial<ReconnectPolicy>;
  readonly localUrls?: LocalUrlsWaitOptions;
}

/**
 * Follows the run to a settled state with progress on stderr, then reports it: READY → preview URLs
 * on stdout (local ones too, given a few seconds to appear), exit 0; anything else → its reason on
 * stderr, exit 1. Ctrl-C stops following only.
 */
export async function watchRun(
  client: ApiClient,
  id: string,
  io: CliIO,
  options: WatchOptions,
): Promise<number> {
  const progress = new Progress(io);
  const interrupt = new AbortController();
  const release = (io.onInterrupt ?? processIO.onInterrupt!)(() => interrupt.abort());
  let waited: LocalUrlsWait;
  try {
    const settled = await followRun({
      client,
      runId: id,
      until: (status) => SETTLED.includes(status),
      onEvent: (event) => progress.event(event),
      signal: interrupt.signal,
      reconnect: options.reconnect,
    });
    progress.done();
    // From here Ctrl-C only cuts the wait short: the run is READY and is reported as it is.
    waited = await awaitLocalUrls(client, settled, interrupt.signal, options.localUrls);
  } catch (error) {
    if (!(error instanceof FollowInterrupted)) throw error;
    progress.line(
      `stopped following run ${id}; it goes on.\n  follow it: reporunner follow ${id}\n  remove it: reporunner rm ${id}`,
    );
    return EXIT.interrupted;
  } finally {
    release();
    progress.done();
  }
  if (waited.gaveUp) {
    io.stderr(
      `no local URLs yet: reporunner follow ${id} shows them once the API forwards the previews (REPORUNNER_LOCAL_PREVIEWS)\n`,
    );
  }
  return reportRun(waited.run, io, options);
}

/** Prints a settled run: the JSON view, or its URLs / its reason. */
export function reportRun(run: RunView, io: CliIO, options: Pick<WatchOptions, "json" | "command">): number {
  if (options.json) io.stdout(`${JSON.stringify(run, null, 2)}\n`);
  if (run.status !== "READY") {
    const reason = run.reason ? `: ${run.reason}` : "";
    io.stderr(`reporunner ${options.command}: run ${run.id} ${run.status}${reason}\n`);
    const trace = traceLine(run);
    if (trace && !options.json) io.stderr(`${trace}\n`);
    return EXIT.refused;
  }
  if (!options.json) io.stdout(readySummary(run));
  return EXIT.ok;
}

/** What a READY run offers: where to open it, and how to remove it. */
export function readySummary(run: RunView): string {
  const lines = [`run ${run.id} is READY${run.commitSha ? ` (commit ${run.commitSha.slice(0, 7)})` : ""}`];
  const previews = urlEntries(run.previewUrls);
  const local = urlEntries(run.localUrls);
  if (previews.length === 0 && local.length === 0) lines.push("  no preview: the run publishes no port");
  const width = Math.max(0, ...[...previews, ...local].map(([name]) => name.length));
  for (const [name, url] of previews) lines.push(`  preview ${name.padEnd(width)}  ${url}`);
  for (const [name, url] of local) lines.push(`  local   ${name.padEnd(width)}  ${url}`);
  const trace = traceLine(run);
  if (trace) lines.push(trace);
  lines.push(`remove it: reporunner rm ${run.id}`);
  return `${lines.join("\n")}\n`;
}

/** Where the run's trace is: its page in the Jaeger UI, or its id; undefined when the API traced nothing. */
export function traceLine(run: RunView): string | undefined {
  if (!run.traceId) return undefined;
  return `  trace   ${run.traceId}${run.traceUrl ? `  ${run.traceUrl}` : ""}`;
}

/** `{service: url}` as pairs; a plain list of URLs is numbered. */
function urlEntries(urls: RunView["localUrls"]): [string, string][] {
  if (!urls) return [];
  if (Array.isArray(urls)) return urls.map((url, i) => [String(i + 1), String(url)]);
  return Object.entries(urls as Record<string, string>);
}
