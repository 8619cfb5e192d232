/** Turns a zod failure into the AppError a client sees, naming the field at fault. */
import type { z } from "zod";
import { AppError } from "./errors";

/** The dotted path of the first issue (`env.FOO`), the unknown key itself, or `where` at the root. */
function fieldOf(issue: z.core.$ZodIssue, where: string): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) path.push(issue.keys[0]!);
  if (issue.code === "invalid_key" && path.length === 0) return where;
  // An empty key (`?=x`) names nothing: then the field is the part it came in.
  const joined = path.join(".");
  return joined !== "" ? joined : where;
}

/** Parses `value` with `schema` or throws a 400 AppError (`code`, first issue's message and field). */
export function parseOr<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
  code = "invalid_request",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // A key can be anything a client sent: keep the field short (it is echoed back).
  const field = fieldOf(issue, where).slice(0, 100);
  // A check with a code of its own (`params: { code }`) speaks for itself, in a full sentence.
  const own = issue.code === "custom" ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  if (typeof own === "string") throw new AppError(own, issue.message.slice(0, 300), 400, field);
  // The message is zod's, which never echoes the input; cap it anyway.
  throw new AppError(code, `${field}: ${issue.message}`.slice(0, 300), 400, field);
}
