import * as http from "node:http";

/**
 * Waits until every preview URL answers HTTP (any status: a 404 still proves the app is listening),
 * polling each until `timeoutMs`. Returns the URLs that never answered. The parser is lenient, as
 * browsers are: an app whose headers end lines with a bare LF still answers.
 */
export async function waitForPreviews(
  urls: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const answers = async (url: string): Promise<boolean> => {
    while (Date.now() < deadline && !signal?.aborted) {
      if (await answersOnce(url)) return true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return false;
  };
  const results = await Promise.all(
    Object.values(urls).map(async (url) => ({ url, ok: await answers(url) })),
  );
  return results.filter((r) => !r.ok).map((r) => r.url);
}

function answersOnce(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { insecureHTTPParser: true, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
