/**
 * Parsers of option and argument values: a wrong value is a usage error that commander reports with
 * the option's name, before any request is made.
 */
import { RUN_ID } from "../runs/ids";
import { invalid } from "./command-action";

/** `--env KEY=VALUE`, repeatable; the API checks names and values again. */
export function collectEnv(pair: string, previous: Record<string, string> = {}): Record<string, string> {
  const equals = pair.indexOf("=");
  const key = pair.slice(0, Math.max(0, equals));
  if (equals <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    invalid("write KEY=VALUE, KEY made of letters, digits and _");
  }
  return { ...previous, [key]: pair.slice(equals + 1) };
}

/** A whole number within bounds. */
export function integer(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      invalid(`${what} is a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A run id as the API makes them (`reporunner ls` shows them). */
export function runId(value: string): string {
  if (!RUN_ID.test(value)) invalid("a run id is 8 to 12 lowercase letters and digits (see reporunner ls)");
  return value;
}
