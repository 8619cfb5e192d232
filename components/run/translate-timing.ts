/**
 * When a run's translation ran, as the program saw it: a stack output, so that the Run API (which does
 * not run the program) can put a `translate` span in the run's trace with the real times.
 */

/** The stack output's name. */
export const TRANSLATE_TIMING_OUTPUT = "translateTiming";

/** Start and end of the translation, in milliseconds since the epoch (this machine's clock). */
export interface TranslateTiming {
  readonly startMs: number;
  readonly endMs: number;
}

/** Now, to a fraction of a millisecond: a small compose file translates in well under one. */
const now = () => performance.timeOrigin + performance.now();

/** Runs `translate` and says when it ran. */
export function timed<T>(translate: () => T): { value: T; timing: TranslateTiming } {
  const startMs = now();
  const value = translate();
  return { value, timing: { startMs, endMs: now() } };
}
