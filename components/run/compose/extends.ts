import * as path from "node:path";
import type { ComposeSpecification, DefinitionsService } from "compose-spec-ts";
import { RepoFileRefusal, type RepoFiles } from "../source/repo-files";
import type { Findings } from "./issues";
import { listOrDictEntries } from "./list-or-dict";

/** Loads another compose file (relative to the repository root) for `extends: {file: ...}`. */
export type ComposeFileLoader = (file: string) => ComposeSpecification;

/** Keys whose list or map forms mean the same thing, merged key by key. */
const DICT_KEYS = new Set(["environment", "labels", "annotations", "sysctls", "extra_hosts", "depends_on"]);
/** Keys a child replaces outright rather than merging, as compose does. */
const REPLACED_KEYS = new Set(["command", "entrypoint", "test"]);
/** List keys merged by the container path they mount at, so a child can replace one mount. */
const BY_TARGET_KEYS = new Set(["volumes", "secrets", "configs"]);

/**
 * Resolves `extends` for every service of `document` (the file at `file`, relative to the repository
 * root), merging each base service under the service that extends it with compose's merge rules:
 * maps merge key by key, `environment`/`labels`-style entries merge by name, mounts merge by
 * target, `command`/`entrypoint`/`healthcheck.test` are replaced, other lists are concatenated.
 * Base files must be inside the repository; cycles are refused.
 */
export function resolveExtends(
  document: ComposeSpecification,
  file: string,
  files: RepoFiles,
  load: ComposeFileLoader,
  findings: Findings,
): Record<string, DefinitionsService> {
  const services = document.services ?? {};
  // fromEntries, not assignment: a service may be called __proto__.
  return Object.fromEntries(
    Object.keys(services).map((name) => [
      name,
      resolveService(name, services, file, [], files, load, findings),
    ]),
  );
}

function resolveService(
  name: string,
  services: Record<string, DefinitionsService>,
  file: string,
  chain: string[],
  files: RepoFiles,
  load: ComposeFileLoader,
  findings: Findings,
): DefinitionsService {
  const service = services[name]!;
  const link = `${file}#${name}`;
  if (chain.includes(link)) {
    findings.refuse(
      `services.${name}.extends`,
      `extends forms a cycle (${[...chain, link].join(" → ")}): break it`,
    );
    return service;
  }
  if (service.extends === undefined) return service;
  const { service: baseName, file: baseFileWritten } =
    typeof service.extends === "string" ? { service: service.extends, file: undefined } : service.extends;
  let baseFile = file;
  let baseServices = services;
  if (baseFileWritten !== undefined) {
    const resolved = files.resolve(path.posix.dirname(file), baseFileWritten);
    if (resolved instanceof RepoFileRefusal || resolved.kind === "missing") {
      const why =
        resolved instanceof RepoFileRefusal ? resolved.message : `"${baseFileWritten}" does not exist`;
      findings.refuse(`services.${name}.extends.file`, `${why}: extend a compose file inside the repository`);
      return service;
    }
    baseFile = resolved.relative;
    baseServices = load(baseFile).services ?? {};
    if (path.posix.dirname(baseFile) !== path.posix.dirname(file)) {
      findings.warn(
        `services.${name}.extends.file`,
        `relative paths in ${baseFile} are read from ${path.posix.dirname(file)}, not rebased to its own directory`,
      );
    }
  }
  // Own keys only: `extends: toString` must not find Object.prototype's.
  if (!Object.hasOwn(baseServices, baseName)) {
    findings.refuse(
      `services.${name}.extends.service`,
      `there is no service "${baseName}" in ${baseFile} to extend`,
    );
    return service;
  }
  const base = resolveService(baseName, baseServices, baseFile, [...chain, link], files, load, findings);
  const { extends: _extends, ...own } = service;
  return mergeServices(base, own) as DefinitionsService;
}

/** Merges `override` onto `base` following compose's rules (see {@link resolveExtends}). */
export function mergeServices(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  delete merged.extends;
  for (const [key, value] of Object.entries(override)) {
    const previous = merged[key];
    if (previous === undefined || value === null || REPLACED_KEYS.has(key)) merged[key] = value;
    else if (DICT_KEYS.has(key)) merged[key] = { ...asDict(key, previous), ...asDict(key, value) };
    else if (BY_TARGET_KEYS.has(key) && Array.isArray(previous) && Array.isArray(value)) {
      merged[key] = mergeByTarget(previous, value);
    } else if (Array.isArray(previous) && Array.isArray(value)) {
      merged[key] = [...previous, ...value.filter((item) => !previous.some((old) => sameValue(old, item)))];
    } else if (isPlainObject(previous) && isPlainObject(value)) merged[key] = mergeServices(previous, value);
    else merged[key] = value;
  }
  return merged;
}

function asDict(key: string, value: unknown): Record<string, unknown> {
  if (key === "depends_on" && Array.isArray(value)) {
    return Object.fromEntries(value.map((name) => [String(name), { condition: "service_started" }]));
  }
  if (key === "extra_hosts" && Array.isArray(value)) {
    return Object.fromEntries(value.map((entry) => String(entry).split(/[=:](.*)/s, 2)));
  }
  if (Array.isArray(value)) return Object.fromEntries(listOrDictEntries(value as string[]));
  return isPlainObject(value) ? value : {};
}

function mergeByTarget(previous: unknown[], next: unknown[]): unknown[] {
  const targetOf = (entry: unknown): string =>
    typeof entry === "string"
      ? (entry.split(":")[1] ?? entry)
      : String(
          (entry as { target?: string; source?: string }).target ?? (entry as { source?: string }).source,
        );
  const nextTargets = new Set(next.map(targetOf));
  return [...previous.filter((entry) => !nextTargets.has(targetOf(entry))), ...next];
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
