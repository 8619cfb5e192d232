/**
 * A figure against its target, printed the same way by every bench: `name: value (target …) ✓|✗`.
 * The verdicts also go into the final JSON line as `<key>Met`.
 */
export interface Verdict {
  readonly key: string;
  readonly met: boolean;
}

/** Prints `label: shown (target target) ✓/✗` and returns the verdict for the JSON line. */
export function verdict(key: string, label: string, shown: string, target: string, met: boolean): Verdict {
  console.log(`${met ? "✓" : "✗"} ${label}: ${shown} (target ${target})`);
  return { key, met };
}

/** `{ <key>Met: boolean }` for each verdict. */
export function verdictFields(verdicts: readonly Verdict[]): Record<string, boolean> {
  return Object.fromEntries(verdicts.map((v) => [`${v.key}Met`, v.met]));
}
