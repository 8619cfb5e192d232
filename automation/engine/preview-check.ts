/**
 * Waits until every preview URL answers HTTP (any status: a 404 still proves the app is listening),
 * polling each until `timeoutMs`. Returns the URLs that never answered.
 */
export async function waitForPreviews(
  urls: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const answers = async (url: string): Promise<boolean> => {
    while (Date.now() < deadline && !signal?.aborted) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: "manual" });
        await response.body?.cancel();
        return true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return false;
  };
  const results = await Promise.all(
    Object.values(urls).map(async (url) => ({ url, ok: await answers(url) })),
  );
  return results.filter((r) => !r.ok).map((r) => r.url);
}
