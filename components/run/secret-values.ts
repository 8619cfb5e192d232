import type { KubeObject } from "./compose";

/**
 * Where the run's environment values could surface in plain text, and how each place hides them.
 * The translator interpolates a compose file with the run's variables, so a value can land in a
 * container's `env`, its command, a label or a config file; these functions find it there. Pure.
 */

/**
 * Values shorter than this are not looked for inside other text: `1` or `yes` cannot be told from
 * ordinary words, and are no secret. They still reach the pods only through the run's Secret when a
 * variable of the same name asks for them.
 */
export const MIN_HIDDEN_LENGTH = 4;

/** One value to hide and the run variable that holds it. */
export interface HiddenValue {
  readonly key: string;
  readonly value: string;
}

/** The run's values worth hiding, longest first (so a value inside a longer one is found second). */
export function hiddenValues(env: Readonly<Record<string, string>>): HiddenValue[] {
  const byValue = new Map<string, string>();
  for (const key of Object.keys(env).sort()) {
    const value = env[key]!;
    if (value.length >= MIN_HIDDEN_LENGTH && !byValue.has(value)) byValue.set(value, key);
  }
  return [...byValue]
    .map(([value, key]) => ({ key, value }))
    .sort((a, b) => b.value.length - a.value.length || (a.key < b.key ? -1 : 1));
}

/** What replaces a hidden value in text shown to people (logs, warnings, failure reasons). */
export const REDACTED = "[secret]";

/** `text` with every hidden value replaced by `[secret]`. */
export function redact(text: string, hidden: readonly HiddenValue[]): string {
  let out = text;
  for (const { value } of hidden) out = out.split(value).join(REDACTED);
  return out;
}

/** Whether any string inside `data` (any depth) contains a hidden value. */
export function containsHidden(data: unknown, hidden: readonly HiddenValue[]): boolean {
  if (hidden.length === 0) return false;
  if (typeof data === "string") return hidden.some(({ value }) => data.includes(value));
  if (Array.isArray(data)) return data.some((item) => containsHidden(item, hidden));
  if (data && typeof data === "object") return Object.values(data).some((v) => containsHidden(v, hidden));
  return false;
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };
type Container = { env?: EnvVar[]; envFrom?: unknown[]; command?: string[]; args?: string[] };
type PodSpec = { containers?: Container[]; initContainers?: Container[] };

/** The prefix of the variables that hold a run value for a container that shadows its name. */
export const RUN_ENV_ALIAS_PREFIX = "REPORUNNER_ENV_";

/**
 * Replaces every run value in the containers' `env`, `command` and `args` with a reference to the
 * run's Secret `secretName`, so no Deployment, StatefulSet or Job carries one in plain text:
 *
 * - an `env` entry whose whole value is a run value becomes `valueFrom.secretKeyRef` (when its name
 *   is the variable's own, whatever the length: `environment: [API_KEY]` and `API_KEY: ${API_KEY}`);
 * - a run value inside a longer `env` value, command or argument becomes `$(KEY)`, which Kubernetes
 *   expands from the container's environment (the Secret's `envFrom`). A container that sets `KEY`
 *   itself to something else, or reads no `envFrom`, gets `REPORUNNER_ENV_<KEY>` from the Secret first.
 *
 * The translator wrote those fields with every `$` doubled (pod-spec's `literal`), so the text is
 * undoubled to search it and doubled again around the references. Returns new manifests.
 */
export function referenceRunEnvironment(
  manifests: readonly KubeObject[],
  env: Readonly<Record<string, string>>,
  secretName: string,
): KubeObject[] {
  const hidden = hiddenValues(env);
  return manifests.map((object) => {
    const pod = podSpecOf(object);
    if (!pod) return object;
    const copy = structuredClone(object);
    const copyPod = podSpecOf(copy)!;
    copyPod.containers = copyPod.containers?.map((c) => referenceInContainer(c, env, hidden, secretName));
    copyPod.initContainers = copyPod.initContainers?.map((c) =>
      referenceInContainer(c, env, hidden, secretName),
    );
    return copy;
  });
}

function podSpecOf(object: KubeObject): PodSpec | undefined {
  const spec = object.spec as { template?: { spec?: PodSpec } } | undefined;
  return object.kind === "Deployment" || object.kind === "StatefulSet" || object.kind === "Job"
    ? spec?.template?.spec
    : undefined;
}

// Replacement functions, not strings: in a replacement string `$$` means one `$`.
const undouble = (text: string) => text.replaceAll("$$", () => "$");
const double = (text: string) => text.replaceAll("$", () => "$$");

function referenceInContainer(
  container: Container,
  env: Readonly<Record<string, string>>,
  hidden: readonly HiddenValue[],
  secretName: string,
): Container {
  const secretRef = (key: string) => ({ secretKeyRef: { name: secretName, key } });
  const readsSecret = (container.envFrom ?? []).some(
    (source) => (source as { secretRef?: { name?: string } }).secretRef?.name === secretName,
  );
  const envList: EnvVar[] = (container.env ?? []).map((entry) => {
    if (entry.value === undefined) return entry;
    const value = undouble(entry.value);
    if (env[entry.name] !== undefined && env[entry.name] === value)
      return { name: entry.name, valueFrom: secretRef(entry.name) };
    const whole = hidden.find((h) => h.value === value);
    return whole ? { name: entry.name, valueFrom: secretRef(whole.key) } : entry;
  });
  // A key is "clean" when `$(KEY)` expands to the run's value everywhere in this container.
  const clean = (key: string) =>
    readsSecret &&
    envList.every(
      (e) =>
        e.name !== key ||
        (e.valueFrom as { secretKeyRef?: { key?: string } } | undefined)?.secretKeyRef?.key === key,
    );
  const aliases = new Set<string>();
  const reference = (key: string) => {
    if (clean(key)) return `$(${key})`;
    aliases.add(key);
    return `$(${RUN_ENV_ALIAS_PREFIX}${key})`;
  };
  const rewrite = (text: string): string => {
    const plain = undouble(text);
    if (!hidden.some(({ value }) => plain.includes(value))) return text;
    let out = "";
    let rest = plain;
    while (rest.length > 0) {
      let at = -1;
      let found: HiddenValue | undefined;
      for (const h of hidden) {
        const index = rest.indexOf(h.value);
        if (index !== -1 && (at === -1 || index < at)) [at, found] = [index, h];
      }
      if (!found) break;
      out += double(rest.slice(0, at)) + reference(found.key);
      rest = rest.slice(at + found.value.length);
    }
    return out + double(rest);
  };
  const rewritten: Container = {
    ...container,
    ...(container.command ? { command: container.command.map(rewrite) } : {}),
    ...(container.args ? { args: container.args.map(rewrite) } : {}),
  };
  const finalEnv = envList.map((e) => (e.value === undefined ? e : { ...e, value: rewrite(e.value) }));
  const aliasEntries = [...aliases].sort().map((key) => ({
    name: `${RUN_ENV_ALIAS_PREFIX}${key}`,
    valueFrom: secretRef(key),
  }));
  if (container.env || aliasEntries.length) rewritten.env = [...aliasEntries, ...finalEnv];
  return rewritten;
}

/**
 * The top-level fields of a manifest that still hold a run value after `referenceRunEnvironment`
 * (a label, a probe's command, a config file made from a variable): the caller keeps them encrypted
 * in the state, as it cannot move them into the Secret.
 */
export function fieldsWithHiddenValues(object: KubeObject, hidden: readonly HiddenValue[]): string[] {
  return Object.keys(object)
    .filter((field) => field !== "apiVersion" && field !== "kind")
    .filter((field) => containsHidden(object[field], hidden));
}
