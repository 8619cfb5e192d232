/**
 * An Ajv validator compiled once per machine rather than once per process. Compiling the compose
 * schema costs 150–650 ms (most of `reporunner translate`); the code Ajv generates for it is kept as
 * a standalone module in `dist/cache/` (named by a hash of the schema, the options and Ajv's version,
 * so a change to any of them compiles afresh) and later processes only evaluate it (a few ms).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { Options, ValidateFunction } from "ajv";

const CACHE_DIR = path.resolve(__dirname, "..", "..", "..", "dist", "cache");
// Ajv loads here only to compile; the cached code needs nothing of it but its small runtime helpers.
const load = createRequire(__filename);

/** `schema` compiled with `options`, each of `formats` accepted as is (`ajv.addFormat(name, true)`). */
export function compileCached(
  schema: object,
  options: Options,
  formats: readonly string[],
): ValidateFunction {
  const ajvVersion = (load("ajv/package.json") as { version: string }).version;
  const key = createHash("sha256")
    .update(JSON.stringify([schema, options, formats, ajvVersion]))
    .digest("hex")
    .slice(0, 20);
  const file = path.join(CACHE_DIR, `ajv-${key}.cjs`);
  try {
    return evaluate(fs.readFileSync(file, "utf8"));
  } catch {
    // Not compiled on this machine yet (or unreadable): compile, and keep the code for next time.
  }
  const { default: Ajv } = load("ajv") as typeof import("ajv");
  const { default: standaloneCode } = load("ajv/dist/standalone") as typeof import("ajv/dist/standalone");
  const ajv = new Ajv({ ...options, code: { ...options.code, source: true } });
  for (const format of formats) ajv.addFormat(format, true);
  const validate = ajv.compile(schema);
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const staging = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(staging, standaloneCode(ajv, validate));
    fs.renameSync(staging, file);
  } catch {
    // A read-only checkout compiles every time, as before.
  }
  return validate;
}

function evaluate(code: string): ValidateFunction {
  const holder: { exports: { default?: ValidateFunction } } = { exports: {} };
  new Function("require", "module", "exports", code)(load, holder, holder.exports);
  return (holder.exports.default ?? holder.exports) as ValidateFunction;
}
