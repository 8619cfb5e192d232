/**
 * Compose's scalar formats, read the way Docker reads them. Compose allows most booleans and numbers
 * to be strings (so they can be interpolated), so every reader accepts both.
 */

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Go-style duration (`1m30s`, `500ms`, `2.5s`) to seconds; undefined when it is not one. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === "number") return value;
  const text = value.trim();
  if (text === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed = part.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** Whole seconds for a Kubernetes field that counts seconds: rounded up, at least `minimum`. */
export function wholeSeconds(seconds: number, minimum = 1): number {
  return Math.max(minimum, Math.ceil(seconds));
}

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2 };
BYTE_UNITS.g = 1024 ** 3;
BYTE_UNITS.gb = 1024 ** 3;

/** Docker byte size (`512m`, `1gb`, `100k`, a number of bytes) to bytes; undefined when invalid. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : undefined;
}

/** Bytes as a Kubernetes quantity, in the largest binary unit that divides it exactly. */
export function bytesToQuantity(bytes: number): string {
  for (const [suffix, size] of [
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

/** Docker `cpus` (`0.5`, `"1.5"`) as a Kubernetes CPU quantity (`500m`, `1500m`, `2`). */
export function cpusToQuantity(value: string | number): string | undefined {
  const cpus = Number(value);
  if (!Number.isFinite(cpus) || cpus <= 0) return undefined;
  const millis = Math.round(cpus * 1000);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Compose boolean, which may arrive as a string after interpolation. */
export function asBoolean(value: boolean | string | undefined | null): boolean {
  if (typeof value === "boolean") return value;
  return typeof value === "string" && ["true", "yes", "y", "on", "1"].includes(value.trim().toLowerCase());
}

/** Compose integer, which may arrive as a string after interpolation; undefined when not one. */
export function asInteger(value: number | string | undefined | null): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = Number(value);
  return Number.isInteger(number) ? number : undefined;
}
