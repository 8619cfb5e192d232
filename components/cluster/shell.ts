/** Quotes one argument for a POSIX shell, so values from config never become shell syntax. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Joins a command and its arguments into one shell-safe line. */
export function shellLine(args: readonly string[]): string {
  return args.map(shellQuote).join(" ");
}

/**
 * The variable that carries folders to put first on a cluster CLI's PATH. Through a variable, not the
 * script: the inherited PATH differs per machine, and a changed script would replace the cluster.
 */
export const CLI_PATH_PREFIX = "REPORUNNER_CLI_PATH_PREFIX";

/** Prepends `script` with the PATH change `CLI_PATH_PREFIX` asks for, when it is set. */
export function withCliPath(script: string): string {
  return [`[ -z "\${${CLI_PATH_PREFIX}:-}" ] || PATH="$${CLI_PATH_PREFIX}:$PATH"`, script].join("\n");
}

/**
 * A cluster CLI's extra environment as a Command's `environment`: its `PATH` goes first on the
 * inherited PATH (through `CLI_PATH_PREFIX`) instead of replacing it.
 */
export function cliEnvironmentVariables(
  environment: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const { PATH: pathPrefix, ...rest } = environment;
  return pathPrefix ? { ...rest, [CLI_PATH_PREFIX]: pathPrefix } : { ...rest };
}
