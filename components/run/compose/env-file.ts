/**
 * Reads the `.env` format that compose uses for `env_file`, `label_file` and interpolation:
 * `KEY=VALUE` lines, `#` comments, an optional `export ` prefix, single quotes (literal), double
 * quotes (with `\n`, `\"` and `\\` escapes) and ` #` comments after unquoted values. A bare `KEY`
 * line means "take it from the environment", reported as `null`.
 */
export function parseEnvFile(text: string): Map<string, string | null> {
  const entries = new Map<string, string | null>();
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_.][A-Za-z0-9_.-]*)\s*(?:=(.*))?$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: expected KEY=VALUE`);
    const [, key, raw] = match;
    if (raw === undefined) {
      entries.set(key!, null);
      continue;
    }
    let value = raw.trim();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines: keep reading until the closing quote.
      while (!closesQuote(value, quote) && index + 1 < lines.length) value += `\n${lines[++index]}`;
      const end = value.lastIndexOf(quote);
      value = value.slice(1, end > 0 ? end : undefined);
      if (quote === '"') value = value.replace(/\\([n"\\])/g, (_, c: string) => (c === "n" ? "\n" : c));
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    entries.set(key!, value);
  }
  return entries;
}

function closesQuote(value: string, quote: string): boolean {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === "\\" && quote === '"') i++;
    else if (value[i] === quote) return true;
  }
  return false;
}
