import * as http from "node:http";
import * as net from "node:net";
import { GATEWAY_ANSWER_HEADER } from "../../components/gateway/routes";

/** How a preview is checked: an HTTP request or a TCP connection (see `waitForPreviews`). */
export type PreviewCheck = "http" | "tcp";

/**
 * Waits until every preview answers, polling each until `timeoutMs`; returns the URLs that never did.
 * An HTTP preview must answer a request (any status: a 404 still proves the app is listening; the
 * parser is lenient, as browsers are, so headers ending lines with a bare LF still answer), but not
 * through the preview gateway's own "not ready yet" page, which its header marks. A TCP
 * preview (a database, a broker) must accept a connection to the URL's host and port: asking Redis
 * or Postgres for a page would fail a run that is fine. `checks` says which is which; a URL not in it
 * is HTTP. (Behind the HTTP gateway a TCP preview has no URL to check: its pod's readiness holds.)
 */
export async function waitForPreviews(
  urls: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal?: AbortSignal,
  checks: Readonly<Record<string, PreviewCheck>> = {},
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const answers = async (url: string, check: PreviewCheck): Promise<boolean> => {
    while (Date.now() < deadline && !signal?.aborted) {
      if (await (check === "tcp" ? acceptsOnce(url) : answersOnce(url))) return true;
      // A NodePort answers within a few hundred ms of its pods being Ready; a local request costs little.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return false;
  };
  const results = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => ({
      url,
      ok: await answers(url, checks[name] ?? "http"),
    })),
  );
  return results.filter((r) => !r.ok).map((r) => r.url);
}

function acceptsOnce(url: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({
      host: hostname.replace(/^\[|\]$/g, ""),
      port: Number(port || (protocol === "https:" ? 443 : 80)),
    });
    socket.setTimeout(5_000, () => socket.destroy());
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}

function answersOnce(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { insecureHTTPParser: true, timeout: 5_000 }, (response) => {
      response.resume();
      // The preview gateway answering for the app ("not ready yet") is not the app answering.
      resolve(response.headers[GATEWAY_ANSWER_HEADER.toLowerCase()] === undefined);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
