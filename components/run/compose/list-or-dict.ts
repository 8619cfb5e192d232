import type { ListOrDict } from "compose-spec-ts";

/**
 * Compose's `list_or_dict` (`environment`, `labels`, `args`, ...) as ordered entries. A list item
 * `KEY` without `=`, or a map value of null, has no value: it is `null` here.
 */
export function listOrDictEntries(value: ListOrDict | undefined): Array<[string, string | null]> {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.map((item) => {
      const text = String(item);
      const equals = text.indexOf("=");
      return equals < 0 ? [text, null] : [text.slice(0, equals), text.slice(equals + 1)];
    });
  }
  return Object.entries(value as Record<string, unknown>).map(([key, item]) => [
    key,
    item === null || item === undefined ? null : String(item),
  ]);
}

/** `list_or_dict` as a plain record, dropping keys without a value. */
export function listOrDictRecord(value: ListOrDict | undefined): Record<string, string> {
  return Object.fromEntries(
    listOrDictEntries(value).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}
