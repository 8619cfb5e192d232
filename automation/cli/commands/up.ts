/**
 * `reporunner up` (what `npm start` runs): brings a local RepoRunner up (cluster, platform stack, Run
 * API with workers) with a progress line per step, prints where it is, and serves until Ctrl-C.
 */
import { Option, type Command } from "commander";
import type { ClusterChoice } from "../../local/cluster-choice";
import { homeFiles, processAlive, readInstance, reporunnerHome, writeInstance } from "../../local/home";
import { createProgress } from "../../local/progress";
import { commandAction, invalid } from "../command-action";
import { type CliIO, EXIT } from "../io";

interface UpFlags {
  cluster: ClusterChoice;
  port: number;
  json?: boolean;
}

export function registerUpCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = program
    .command("up")
    .description(
      "bring RepoRunner up on this machine: cluster, platform stack, Run API (what `npm start` does)",
    )
    .addOption(
      new Option("--cluster <kind>", "auto: kind when kind and Docker are here, else the built-in cluster")
        .choices(["auto", "kind", "builtin"])
        .env("REPORUNNER_CLUSTER")
        .default("auto"),
    )
    .option(
      "--port <port>",
      "port of the Run API on 127.0.0.1 (0: any free port)",
      parsePort,
      defaultPort(io),
    )
    .option("--json", "print one JSON object {url, tokenFile, previewBaseUrl, cluster} once ready");
  command.action(
    commandAction("up", io, setExitCode, async (flags: UpFlags) => {
      const env = io.env ?? process.env;
      const home = reporunnerHome(env);
      const running = readInstance(home);
      if (running?.pid && running.pid !== process.pid && processAlive(running.pid)) {
        io.stderr(`reporunner up: already running (pid ${running.pid}) at ${running.url}\n`);
        return EXIT.refused;
      }
      // With --json, stdout carries only the JSON object; progress goes to stderr.
      const progress = createProgress(3, flags.json ? io.stderr : io.stdout);
      const started = Date.now();
      // Loaded here, not at the top: the cluster, the engine and the API are what `--help` and every
      // other command must not pay for.
      const [{ bringUp }, { signInUrl }, { localOwner }] = await Promise.all([
        import("../../local/bring-up"),
        import("../../api/routes-session"),
        import("../../local/api-environment"),
      ]);
      const up = await bringUp({ cluster: flags.cluster, home, port: flags.port, progress });
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const tokenFile = homeFiles(home).token;
      // The dashboard's one-time sign-in link: it opens a browser session for this user.
      const signIn = signInUrl(up.record.url, await up.server.sessions.issueCode(localOwner()));
      if (flags.json) {
        io.stdout(
          `${JSON.stringify({ url: up.record.url, tokenFile, signInUrl: signIn, previewBaseUrl: up.record.previewBaseUrl, cluster: up.record.cluster, seconds: Number(seconds) })}\n`,
        );
      } else {
        progress.say(
          [
            "",
            `RepoRunner is ready (${seconds}s).`,
            `  Run API   ${up.record.url}   (token: ${tokenFile})`,
            `  Dashboard ${signIn}`,
            `            (a one-time sign-in link, valid ${Math.round(up.server.sessions.times.codeTtlSeconds / 60)} minutes; \`npx reporunner sign-in\` makes another)`,
            `  Previews  ${up.record.previewBaseUrl ?? "NodePorts of each run"}/run-<id>/<service>/`,
            `  Try       npx reporunner run https://github.com/docker/welcome-to-docker`,
            `            npx reporunner run .          (the repository you are in)`,
            `  Stop      Ctrl-C (runs keep running)     Remove everything: npm run down`,
            "",
          ].join("\n"),
        );
      }
      await untilStopped(io);
      io.stderr("reporunner up: stopping the Run API and its workers\n");
      await up.server.stop();
      await up.release();
      const { pid: _pid, ...stopped } = up.record;
      writeInstance(home, stopped);
      return EXIT.ok;
    }),
  );
  command.addHelpText(
    "after",
    `
Everything it keeps is under $REPORUNNER_HOME (default ~/.reporunner): the token, the Pulumi
passphrase and state, the checkouts. \`reporunner down\` removes it all.

Exit: 0 stopped with Ctrl-C; 1 a step failed (its cause is printed) or it is already running.

Examples:
  npm start
  reporunner up --cluster builtin --port 9090`,
  );
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) invalid(`--port ${value}: a port from 0 to 65535`);
  return port;
}

function defaultPort(io: CliIO): number {
  const fromEnv = (io.env ?? process.env).REPORUNNER_PORT;
  return fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : 7380;
}

/** Resolves on Ctrl-C or SIGTERM (what `down` sends). */
function untilStopped(io: CliIO): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      removeInterrupt?.();
      process.off("SIGTERM", done);
      resolve();
    };
    const removeInterrupt = io.onInterrupt?.(done);
    process.once("SIGTERM", done);
  });
}
