import type { DefinitionsService } from "compose-spec-ts";
import { RepoFileRefusal } from "../source/repo-files";
import { parseEnvFile } from "./env-file";
import { listOrDictEntries } from "./list-or-dict";
import type { ModelContext } from "./model-context";

/**
 * A service's environment: each `env_file` in order, then `environment` over them, as compose
 * merges them. Entries without a value take it from the run's variables or, when unset there, are
 * left out (compose leaves them unset too) with a warning.
 */
export function resolveEnvironment(
  service: DefinitionsService,
  path: string,
  context: ModelContext,
): Array<[string, string]> {
  const merged = new Map<string, string>();
  const fromEnvironment = (key: string, at: string): void => {
    const value = context.lookup(key);
    if (value === undefined)
      context.findings.warn(at, `${key} has no value and is not set for the run; it is left unset`);
    else merged.set(key, value);
  };
  for (const { file, required, at } of envFiles(service.env_file, `${path}.env_file`)) {
    const entries = readKeyValueFile(file, required, at, context);
    for (const [key, value] of entries ?? []) {
      if (value === null) fromEnvironment(key, at);
      else merged.set(key, value);
    }
  }
  for (const [key, value] of listOrDictEntries(service.environment)) {
    if (value === null) fromEnvironment(key, `${path}.environment.${key}`);
    else merged.set(key, value);
  }
  return [...merged];
}

function envFiles(
  value: DefinitionsService["env_file"],
  path: string,
): Array<{ file: string; required: boolean; at: string }> {
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  return list.map((entry, index) => {
    const at = typeof value === "string" ? path : `${path}[${index}]`;
    if (typeof entry === "string") return { file: entry, required: true, at };
    const required = entry.required === undefined || entry.required === true || entry.required === "true";
    return { file: entry.path, required, at };
  });
}

/**
 * Reads an `env_file` or `label_file` from inside the repository. Undefined when it is missing and
 * optional; a missing required file is refused, as compose fails on it.
 */
export function readKeyValueFile(
  file: string,
  required: boolean,
  at: string,
  context: ModelContext,
): Map<string, string | null> | undefined {
  const read = context.files.readFile(context.projectDir, file);
  if (read === undefined) {
    if (required) {
      context.findings.refuse(
        at,
        `"${file}" does not exist in the repository: commit it, or use {path: ${file}, required: false}`,
      );
    }
    return undefined;
  }
  if (read instanceof RepoFileRefusal) {
    context.findings.refuse(at, read.explain());
    return undefined;
  }
  try {
    return parseEnvFile(read.content.toString("utf8"));
  } catch (error) {
    context.findings.refuse(at, `"${file}" cannot be read as KEY=VALUE lines: ${(error as Error).message}`);
    return undefined;
  }
}
