/** `reporunner ls`: the token's runs, newest first, as a table (or JSON). */
import type { Command } from "commander";
import { RUN_STATES } from "../../runs/states";
import { ApiClient, type RunView } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { addApiOptions, type ApiFlags, commandAction, invalid } from "../command-action";
import { type CliIO, EXIT } from "../io";
import { integer } from "../option-parsers";
import { age, formatTable, truncate } from "../table";

interface LsFlags extends ApiFlags {
  readonly status?: string;
  readonly limit: number;
}

/** The API's largest page. */
const PAGE = 100;

export function registerLsCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("ls")
    .description("list your runs, newest first")
    .option(
      "--status <states>",
      `only runs in these states, comma-separated (${RUN_STATES.join(", ")})`,
      statuses,
    )
    .option("--limit <n>", "at most this many runs", integer(1, 10_000, "--limit"), 20);
  addApiOptions(command, "print the runs as one JSON array on stdout").action(
    commandAction("ls", io, setExitCode, async (flags: LsFlags) => {
      const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
      requireToken(client.target);
      const runs = await listRuns(client, flags.limit, flags.status);
      if (flags.json) io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
      else if (runs.length === 0) io.stdout(`no runs${flags.status ? ` in ${flags.status}` : ""}\n`);
      else io.stdout(runTable(runs));
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
Exit: 0 listed (even none), 1 the API refused, 3 API unreachable.

Examples:
  reporunner ls
  reporunner ls --status READY,FAILED --limit 50
  reporunner ls --json | jq -r '.[].id'`,
  );
}

/** Up to `limit` runs, following the API's pages. */
async function listRuns(client: ApiClient, limit: number, status?: string): Promise<RunView[]> {
  const runs: RunView[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listRuns({ status, limit: Math.min(PAGE, limit - runs.length), cursor });
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && runs.length < limit);
  return runs;
}

/** ID, STATUS, REPO (with its ref), AGE and the first preview address. */
export function runTable(runs: readonly RunView[], now: number = Date.now()): string {
  return formatTable(
    ["ID", "STATUS", "REPO", "AGE", "PREVIEW"],
    runs.map((run) => {
      const urls = previewAddresses(run);
      const repo = run.repoUrl.replace(/^https?:\/\//, "").replace(/\.git$/, "");
      return [
        run.id,
        run.status,
        truncate(`${repo}${run.ref ? `@${shortRef(run.ref)}` : ""}`, 48),
        age(run.createdAt, now),
        urls.length === 0 ? "-" : `${urls[0]}${urls.length > 1 ? ` (+${urls.length - 1})` : ""}`,
      ];
    }),
  );
}

/**
 * Where each preview is reached: its URL in `previewUrls`, or its local URL when it has none there
 * (a TCP preview behind the gateway, which speaks HTTP only: `tcp://localhost:5432`).
 */
function previewAddresses(run: RunView): string[] {
  const urls = run.previewUrls ?? {};
  const local = Array.isArray(run.localUrls) ? {} : ((run.localUrls ?? {}) as Record<string, string>);
  const unlisted = Object.entries(local).filter(([name]) => !(name in urls));
  return [...Object.values(urls), ...unlisted.map(([, url]) => url)];
}

/** A commit SHA or a local snapshot's ref is shown by its first 7 hex digits, like git does. */
function shortRef(ref: string): string {
  const sha = /^(?:refs\/reporunner\/snapshots\/)?([0-9a-f]{12,40})$/.exec(ref)?.[1];
  if (!sha) return ref;
  return ref.startsWith("refs/") ? `snapshot:${sha.slice(0, 7)}` : sha.slice(0, 7);
}

function statuses(value: string): string {
  const wanted = value.split(",").map((s) => s.trim().toUpperCase());
  const unknown = wanted.filter((s) => !(RUN_STATES as readonly string[]).includes(s));
  if (unknown.length > 0 || wanted.length === 0)
    invalid(`unknown state ${unknown.join(", ")}: use ${RUN_STATES.join(", ")}`);
  return wanted.join(",");
}
