/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Seconds since `start` (from `performance.now()`), to the millisecond. */
export function secondsSince(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}

/** Times one async step in seconds. */
export async function timed<T>(step: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await step();
  return { seconds: secondsSince(start), value };
}
