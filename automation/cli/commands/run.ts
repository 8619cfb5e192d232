/**
 * `reporunner run <repo>`: creates a run of a repository URL or of a local working tree, follows it
 * to READY (or its failure) and prints where to open it.
 */
import { type Command, Option } from "commander";
import { ApiClient, type CreateRunBody } from "../api-client";
import { resolveApiTarget, requireToken } from "../api-target";
import { usageError } from "../cli-error";
import { addApiOptions, type ApiFlags, commandAction } from "../command-action";
import { type CliIO, EXIT } from "../io";
import { localPathOf, resolveLocalSource } from "../local-source";
import { collectEnv, integer } from "../option-parsers";
import { watchRun } from "./follow";

interface RunFlags extends ApiFlags {
  readonly ref?: string;
  readonly mode: "auto" | "dockerfile" | "compose";
  readonly env: Record<string, string>;
  readonly ttl?: number;
  readonly port?: number;
  readonly detach?: boolean;
  readonly uncommitted?: boolean;
}

export function registerRunCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("run")
    .description("run a Git repository (URL or local path) and print its preview URLs once it is READY")
    .argument("<repo>", "an https:// Git URL, a local path (. for this repository) or a file:// URL")
    .option("--ref <ref>", "branch, tag or commit (default: the remote's default branch; for a path: HEAD)")
    .addOption(
      new Option("--mode <mode>", "how to run it").choices(["auto", "dockerfile", "compose"]).default("auto"),
    )
    .option("--env <KEY=VALUE>", "environment for every workload (repeatable)", collectEnv, {})
    .option(
      "--port <port>",
      "the port the app listens on, when its lone Dockerfile EXPOSEs none: it becomes the preview",
      integer(1, 65_535, "--port"),
    )
    .option(
      "--ttl <seconds>",
      "seconds until the run is removed (default: the API's)",
      integer(60, 31_536_000, "--ttl"),
    )
    .option("--detach", "create the run and return at once, without following it")
    .option(
      "--uncommitted",
      "local path: run the working tree as it is, uncommitted and untracked files included",
    );
  addApiOptions(command, "print the final run as one JSON object on stdout, nothing else").action(
    commandAction("run", io, setExitCode, (repo: string, flags: RunFlags) => runCommand(repo, flags, io)),
  );
  command.addHelpText(
    "after",
    `
Progress goes to stderr; the preview URLs (or with --json the run) to stdout. The local URLs, which the
API server writes just after READY, are given a few seconds to appear. Ctrl-C stops following, not
the run. Exit: 0 READY, 1 the run failed (its reason is printed) or the API refused, 2 bad
arguments, 3 API unreachable, 130 Ctrl-C.

A local path runs its committed HEAD; --uncommitted runs a snapshot of the working tree instead
(stored as refs/reporunner/snapshots/<sha>; your index, files and branches are not touched). The API
must be started with REPORUNNER_ALLOW_LOCAL_SOURCES=true.

Examples:
  reporunner run https://github.com/docker/getting-started-app.git --ref main
  reporunner run . --uncommitted --env LOG_LEVEL=debug
  reporunner run ../dockerfile-without-expose --port 3000
  reporunner run ../my-app --mode compose --ttl 7200 --detach
  reporunner run https://github.com/org/app.git --json | jq -r '.previewUrls.app'`,
  );
}

async function runCommand(repo: string, flags: RunFlags, io: CliIO): Promise<number> {
  const local = localPathOf(repo);
  if (flags.uncommitted && local === undefined) {
    throw usageError("--uncommitted applies to a local path only (a URL has no working tree)");
  }
  if (flags.uncommitted && flags.ref !== undefined) {
    throw usageError("--uncommitted runs the working tree: drop --ref, or commit and use --ref");
  }
  const client = new ApiClient(resolveApiTarget(flags.api, io.env ?? process.env));
  requireToken(client.target);

  let body: CreateRunBody = {
    repoUrl: repo,
    mode: flags.mode,
    env: flags.env,
    ...(flags.ref !== undefined ? { ref: flags.ref } : {}),
    ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}),
    ...(flags.port !== undefined ? { previewPort: flags.port } : {}),
  };
  if (local !== undefined) {
    const source = resolveLocalSource(local, { ref: flags.ref, uncommitted: flags.uncommitted });
    io.stderr(`${source.description}\n`);
    body = { ...body, repoUrl: source.repoUrl, ref: source.ref };
  }

  const accepted = await client.createRun(body);
  if (flags.detach) {
    if (flags.json) io.stdout(`${JSON.stringify(await client.getRun(accepted.id), null, 2)}\n`);
    else {
      io.stdout(`${accepted.id}\n`);
      io.stderr(
        `run ${accepted.id} created (${accepted.status})\n  follow it: reporunner follow ${accepted.id}\n  remove it: reporunner rm ${accepted.id}\n`,
      );
    }
    return EXIT.ok;
  }
  io.stderr(`run ${accepted.id} created; following it (Ctrl-C stops following, not the run)\n`);
  return watchRun(client, accepted.id, io, { json: flags.json === true, command: "run" });
}
