/** Quotes one argument for a POSIX shell, so values from config never become shell syntax. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Joins a command and its arguments into one shell-safe line. */
export function shellLine(args: readonly string[]): string {
  return args.map(shellQuote).join(" ");
}
