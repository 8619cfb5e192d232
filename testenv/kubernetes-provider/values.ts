/**
 * Property values as the engine sends them over gRPC (google.protobuf.Struct turned into plain JavaScript):
 * JSON values, plus two sentinels this provider understands:
 *   - a secret is an object `{ [SECRET_KEY]: SECRET_SIG, value: ... }` (we accept secrets in Configure), and
 *   - an unknown value (a preview's not-yet-known output) is the string UNKNOWN.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}
export type PathSegment = string | number;
export type Path = PathSegment[];

export const SECRET_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isSecret(value: unknown): boolean {
  return isObject(value) && value[SECRET_KEY] === SECRET_SIG;
}

/** The value inside a secret wrapper (the value itself when it is not one). */
function unwrap(value: Json | undefined): Json | undefined {
  while (isObject(value) && value[SECRET_KEY] === SECRET_SIG) value = value.value;
  return value;
}

export function secret(value: Json): Json {
  return isSecret(value) ? value : { [SECRET_KEY]: SECRET_SIG, value: reveal(value) };
}

/** Removes every secret wrapper, at any depth. */
export function reveal(value: Json): Json {
  if (isSecret(value)) return reveal(unwrap(value) ?? null);
  if (Array.isArray(value)) return value.map(reveal);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = reveal(v);
    return out;
  }
  return value;
}

/** The paths at which `value` holds a secret (outermost wrapper only). */
export function secretPaths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (isSecret(value)) {
    out.push(prefix);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => secretPaths(v, [...prefix, i], out));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) secretPaths(v, [...prefix, k], out);
  }
  return out;
}

/** Wraps the value at `path` (if there is one) as a secret. */
export function markSecretAt(root: JsonObject, path: Path): void {
  if (path.length === 0) return;
  let node: Json = root;
  for (const segment of path.slice(0, -1)) {
    if (isSecret(node)) return; // already secret above
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isObject(node) && typeof segment === "string") node = node[segment];
    else return;
    if (node === undefined) return;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node) && typeof last === "number" && last < node.length) node[last] = secret(node[last]);
  else if (isObject(node) && !isSecret(node) && typeof last === "string" && last in node)
    node[last] = secret(node[last]);
}

export function containsUnknowns(value: Json | undefined): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknowns);
  if (isObject(value)) return Object.values(value).some(containsUnknowns);
  return false;
}

/** Reads the value at `path`, looking through secret wrappers. */
export function getPath(root: Json | undefined, path: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const segment of path) {
    node = unwrap(node);
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isObject(node) && typeof segment === "string") node = node[segment];
    else return undefined;
  }
  return unwrap(node);
}

export function getString(root: Json | undefined, path: Path): string | undefined {
  const value = getPath(root, path);
  return typeof value === "string" ? value : undefined;
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

/** Deep equality of JSON values (object key order does not matter). */
export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export type ChangeKind = "add" | "delete" | "update";

/** The leaf-most paths at which `olds` and `news` differ (both with secrets revealed). */
export function diffPaths(
  olds: Json | undefined,
  news: Json | undefined,
  prefix: Path = [],
  out: { path: Path; kind: ChangeKind }[] = [],
): { path: Path; kind: ChangeKind }[] {
  if (deepEqual(olds, news)) return out;
  if (olds === undefined) {
    out.push({ path: prefix, kind: "add" });
  } else if (news === undefined) {
    out.push({ path: prefix, kind: "delete" });
  } else if (isObject(olds) && isObject(news)) {
    for (const key of new Set([...Object.keys(olds), ...Object.keys(news)]))
      diffPaths(olds[key], news[key], [...prefix, key], out);
  } else if (Array.isArray(olds) && Array.isArray(news) && olds.length === news.length) {
    olds.forEach((v, i) => diffPaths(v, news[i], [...prefix, i], out));
  } else {
    out.push({ path: prefix, kind: "update" });
  }
  return out;
}

/** `spec.template.spec.containers[0].image`: the property path syntax the engine shows. */
export function formatPath(path: Path): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Recursively merges `over` onto `base` (objects merge, anything else is replaced). */
export function deepMerge(base: Json | undefined, over: Json | undefined): Json | undefined {
  if (over === undefined) return base;
  if (isObject(base) && isObject(over) && !isSecret(base) && !isSecret(over)) {
    const out: JsonObject = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = deepMerge(base[k], v);
      if (merged !== undefined) out[k] = merged;
    }
    return out;
  }
  return over;
}

/** Drops `undefined` members so a value can be turned into a protobuf Struct. */
export function toJson(value: unknown): JsonObject {
  return value === undefined ? {} : (JSON.parse(JSON.stringify(value)) as JsonObject);
}
