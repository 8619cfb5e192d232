/**
 * `reporunner status`: where the CLI looks for the Run API, whether it answers and is ready, what
 * `up` recorded about the local instance, and how many runs the token has in each state.
 */
import type { Command } from "commander";
import { ApiClient, type Readiness } from "../api-client";
import { type ApiTarget, resolveApiTarget } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";

/** Pages of runs counted at most (100 runs each). */
const MAX_PAGES = 100;

/** What `status --json` prints. */
interface StatusReport {
  api: { url: string; source: ApiTarget["urlSource"] };
  reachable: boolean;
  ready: Readiness | null;
  token: { source: string } | null;
  instance: (NonNullable<ApiTarget["instance"]> & { running: boolean | null }) | null;
  runs: Record<string, number> | null;
  /** Why something above is missing. */
  problems: string[];
}

export function registerStatusCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command("status")
    .description("show which Run API the CLI uses, whether it is up and ready, and your runs by state");
  addApiOptions(command, "print the report as one JSON object").action(
    commandAction("status", io, setExitCode, async (flags: ApiFlags) => {
      const target = resolveApiTarget(flags.api, io.env ?? process.env);
      const report = await statusReport(new ApiClient(target));
      if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        io.stdout(renderReport(report));
        for (const problem of report.problems) io.stderr(`reporunner status: ${problem}\n`);
      }
      return exitCode(report);
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 the API answers, is ready and accepts the token; 1 it refuses the token; 3 it cannot be
reached, is not ready, or there is no token.

Examples:
  reporunner status
  reporunner status --api http://127.0.0.1:9090 --json`,
  );
}

async function statusReport(client: ApiClient): Promise<StatusReport> {
  const { target } = client;
  const report: StatusReport = {
    api: { url: target.url, source: target.urlSource },
    reachable: false,
    ready: null,
    token: target.tokenSource ? { source: target.tokenSource } : null,
    instance: target.instance ? { ...target.instance, running: processRunning(target.instance.pid) } : null,
    runs: null,
    problems: [],
  };
  try {
    report.ready = await client.readiness();
    report.reachable = true;
  } catch (error) {
    report.problems.push((error as Error).message);
    return report;
  }
  if (report.ready.status !== "ok")
    report.problems.push(`the API is not ready: ${unavailable(report.ready)}`);
  try {
    report.runs = await countRuns(client);
  } catch (error) {
    report.problems.push((error as Error).message);
  }
  return report;
}

/** Runs by state, over every page. */
async function countRuns(client: ApiClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await client.listRuns({ limit: 100, cursor });
    for (const run of items) counts[run.status] = (counts[run.status] ?? 0) + 1;
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return counts;
}

function renderReport(report: StatusReport): string {
  const rows: [string, string][] = [["API", `${report.api.url} (from ${report.api.source})`]];
  rows.push(["reachable", report.reachable ? "yes" : "no"]);
  if (report.ready) {
    const checks = Object.entries(report.ready.checks)
      .map(([name, state]) => `${name} ${state}`)
      .join(", ");
    rows.push(["ready", `${report.ready.status === "ok" ? "yes" : "no"} (${checks})`]);
  }
  rows.push(["token", report.token ? `from ${report.token.source}` : "none"]);
  const instance = report.instance;
  if (instance) {
    const pid = instance.pid ? `pid ${instance.pid} (${instance.running ? "running" : "not running"}), ` : "";
    const cluster = `cluster ${instance.cluster.provider}${instance.cluster.createdByUp ? " (created by up)" : ""}`;
    const previews = instance.previewBaseUrl ? `, previews ${instance.previewBaseUrl}` : "";
    rows.push(["instance", `${pid}started ${instance.startedAt}, ${cluster}${previews}`]);
  } else {
    rows.push(["instance", "none recorded (npm start / reporunner up write one)"]);
  }
  if (report.runs) {
    const counts = Object.entries(report.runs).map(([state, n]) => `${state} ${n}`);
    rows.push(["runs", counts.length ? counts.join(", ") : "none"]);
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  return `${lines.join("\n")}\n`;
}

function exitCode(report: StatusReport): number {
  if (!report.reachable || report.ready?.status !== "ok" || !report.token) return EXIT.unreachable;
  if (!report.runs) return EXIT.refused;
  return EXIT.ok;
}

function unavailable(ready: Readiness): string {
  const down = Object.entries(ready.checks).filter(([, state]) => state !== "ok");
  return down.map(([name]) => name).join(", ") || ready.status;
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
function processRunning(pid: number | undefined): boolean | null {
  if (pid === undefined) return null;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
