import type { Findings } from "./issues";

/** Looks up a variable for interpolation; undefined when it is not set. */
export type VariableLookup = (name: string) => string | undefined;

/**
 * Compose interpolation over every string value of a parsed file: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` for a literal
 * `$`. Unset variables become empty strings with a warning (as compose does); a `?` variable that
 * is unset is refused with its message. Keys are not interpolated, as in compose. `x-` extension
 * blocks are left alone, since they are never read and often hold templates.
 */
export function interpolateTree(
  value: unknown,
  lookup: VariableLookup,
  findings: Findings,
  path = "",
): unknown {
  if (typeof value === "string") return interpolateString(value, lookup, findings, path);
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateTree(item, lookup, findings, `${path}[${index}]`));
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        key.startsWith("x-") ? item : interpolateTree(item, lookup, findings, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}

/** Interpolates one string; see {@link interpolateTree}. */
export function interpolateString(
  text: string,
  lookup: VariableLookup,
  findings: Findings,
  path: string,
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char !== "$") {
      out += char;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = matchingBrace(text, i + 1);
      if (end < 0) {
        findings.refuse(
          path,
          `unterminated "\${" in ${JSON.stringify(text)}: close it with "}" or write "$$" for a literal "$"`,
        );
        return text;
      }
      out += expandBraced(text.slice(i + 2, end), lookup, findings, path);
      i = end + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (!name) {
        out += "$";
        i++;
        continue;
      }
      out += valueOf(name, lookup, findings, path);
      i += 1 + name.length;
    }
  }
  return out;
}

function expandBraced(body: string, lookup: VariableLookup, findings: Findings, path: string): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!match) {
    findings.refuse(
      path,
      `invalid interpolation "\${${body}}": use \${NAME}, \${NAME:-default} or \${NAME:?error}`,
    );
    return "";
  }
  const [, name, operator, argument = ""] = match;
  const value = lookup(name!);
  const colon = operator?.startsWith(":") ?? false;
  // With a colon, an empty value counts as unset (POSIX shell semantics).
  const isSet = value !== undefined && !(colon && value === "");
  switch (operator?.replace(":", "")) {
    case "-":
      return isSet ? value! : interpolateString(argument, lookup, findings, path);
    case "?":
      if (!isSet) {
        findings.refuse(
          path,
          `required variable ${name} is not set${argument ? ` (${argument})` : ""}: set it in the run's environment or in .env`,
        );
      }
      return value ?? "";
    case "+":
      return isSet ? interpolateString(argument, lookup, findings, path) : "";
    default:
      return valueOf(name!, lookup, findings, path);
  }
}

function valueOf(name: string, lookup: VariableLookup, findings: Findings, path: string): string {
  const value = lookup(name);
  if (value === undefined) {
    findings.warn(path, `variable ${name} is not set; an empty string is used, as compose does`);
    return "";
  }
  return value;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${...}`; -1 when none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}
