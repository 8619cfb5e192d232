import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Counts the Pulumi CLI processes an engine starts: a `pulumi` first on the engine's PATH that writes
 * its subcommand to a log, then runs the real one in its place (exec: signals still reach the CLI).
 */
export interface CliCounter {
  /** The PATH to give the engine (`pulumiEnv.PATH`). */
  readonly path: string;
  /** The subcommands started since the last call (`up`, `config set-all`, …). */
  take(): string[];
}

export function countPulumiCli(): CliCounter {
  const real = (process.env.PATH ?? "")
    .split(path.delimiter)
    .map((dir) => path.join(dir, "pulumi"))
    .find((file) => fs.existsSync(file));
  if (!real) throw new Error("no pulumi on PATH: run `npm run setup`");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-cli-count-"));
  const log = path.join(dir, "started.log");
  fs.writeFileSync(log, "");
  fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "$1 $2" >> '${log}'\nexec '${real}' "$@"\n`, {
    mode: 0o755,
  });
  let seen = 0;
  return {
    path: [dir, process.env.PATH ?? ""].join(path.delimiter),
    take() {
      const lines = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
      const fresh = lines.slice(seen);
      seen = lines.length;
      // `stack init` / `config set-all`: the word after a command group names it; a flag does not.
      return fresh.map((line) => line.replace(/ -.*$/, "").trim());
    },
  };
}
