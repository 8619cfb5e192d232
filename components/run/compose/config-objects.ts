import type { DefinitionsConfig, DefinitionsSecret, ServiceConfigOrSecret } from "compose-spec-ts";
import { RepoFileRefusal } from "../source/repo-files";
import type { FileObject, MountModel } from "./model";
import type { ModelContext } from "./model-context";
import { asBoolean, asInteger } from "./units";

export type FileObjectKind = "config" | "secret";

/** Secrets etcd will store; also keeps a mistaken `file:` from reading a large blob. */
const MAX_OBJECT_BYTES = 1000 * 1000;

/**
 * A service's `configs:` or `secrets:` list as mounts. Compose mounts a config at `/<name>` and a
 * secret at `/run/secrets/<name>` unless a target is given; a relative secret target is under
 * `/run/secrets`.
 */
export function readFileObjectMounts(
  kind: FileObjectKind,
  refs: ServiceConfigOrSecret | undefined,
  path: string,
  declared: ReadonlySet<string>,
  context: ModelContext,
): MountModel[] {
  const mounts: MountModel[] = [];
  (refs ?? []).forEach((ref, index) => {
    const at = `${path}[${index}]`;
    const source = typeof ref === "string" ? ref : ref.source;
    if (!source || !declared.has(source)) {
      context.findings.refuse(
        at,
        `${kind} "${source ?? ""}" is not declared: add it under the top-level ${kind}s: key`,
      );
      return;
    }
    const target = typeof ref === "object" && ref.target ? ref.target : source;
    const absoluteTarget = target.startsWith("/")
      ? target
      : kind === "secret"
        ? `/run/secrets/${target}`
        : `/${target}`;
    if (typeof ref === "object" && (ref.uid !== undefined || ref.gid !== undefined)) {
      context.findings.warn(
        at,
        "uid and gid are ignored: Kubernetes mounts the file owned by root, readable through its mode",
      );
    }
    const mode = typeof ref === "object" && ref.mode !== undefined ? readMode(ref.mode) : undefined;
    mounts.push({ kind, name: source, target: absoluteTarget, ...(mode !== undefined ? { mode } : {}) });
  });
  return mounts;
}

/** Octal strings (`"0440"`) and numbers (`0o440` written as 288) are both used for modes. */
function readMode(mode: number | string): number | undefined {
  if (typeof mode === "number") return mode;
  return /^0?[0-7]{3,4}$/.test(mode) ? Number.parseInt(mode, 8) : asInteger(mode);
}

/**
 * The content of a top-level config or secret: from `file:` (inside the repository), `content:`
 * (configs) or `environment:` (the run's variables). `external:` objects are refused: a run is
 * disposable and starts from nothing, so there is nowhere for them to come from.
 */
export function readFileObject(
  kind: FileObjectKind,
  name: string,
  definition: DefinitionsConfig | DefinitionsSecret,
  context: ModelContext,
): FileObject | undefined {
  const at = `${kind}s.${name}`;
  const { findings } = context;
  const key = name.replace(/[^-._a-zA-Z0-9]/g, "_");
  if (
    asBoolean(definition.external as boolean | string | undefined) ||
    typeof definition.external === "object"
  ) {
    findings.refuse(
      at,
      `external ${kind}s do not exist in a fresh run: define it with file: or environment: instead`,
    );
    return undefined;
  }
  if (definition.template_driver || (definition as DefinitionsSecret).driver) {
    findings.warn(at, "driver and template_driver are ignored: the content is used as it is");
  }
  if ("content" in definition && typeof definition.content === "string") {
    return { name, key, content: Buffer.from(definition.content) };
  }
  if (definition.environment) {
    const value = context.lookup(definition.environment);
    if (value === undefined) {
      findings.refuse(at, `variable ${definition.environment} is not set: set it for the run or in .env`);
      return undefined;
    }
    return { name, key, content: Buffer.from(value) };
  }
  if (!definition.file) {
    findings.refuse(at, `a ${kind} needs file:, environment:${kind === "config" ? " or content:" : ""}`);
    return undefined;
  }
  const file = context.files.readFile(context.projectDir, definition.file, MAX_OBJECT_BYTES);
  if (file === undefined) {
    findings.refuse(
      `${at}.file`,
      `"${definition.file}" is not a file in the repository: commit it or fix the path`,
    );
    return undefined;
  }
  if (file instanceof RepoFileRefusal) {
    findings.refuse(`${at}.file`, file.explain());
    return undefined;
  }
  return { name, key, content: file.content };
}
