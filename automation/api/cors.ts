/**
 * CORS for the "Run Locally" browser extension (`extension/`): its service worker calls the API from
 * `chrome-extension://<id>`, with a bearer token. Only the origins listed here get CORS headers; any
 * other page's cross-origin call stays opaque or, when preflighted, never leaves the browser. The
 * extension's id is fixed by the public `key` in its manifest, so the default origin is stable.
 * Credentials are not allowed: the extension sends its token, never the dashboard's cookie.
 */
import type { RequestHandler } from "express";

/** The extension's id, derived from the `key` in `extension/static/manifest.json`. */
export const EXTENSION_ID = "lbfbpokfhmbfifpklkdinefmdcnmnkkj";

/** The origins allowed by default: the extension's own. */
export const EXTENSION_ORIGINS: readonly string[] = [`chrome-extension://${EXTENSION_ID}`];

/** Answers preflights and sets `Access-Control-Allow-Origin` for the allowed origins only. */
export function extensionCors(origins: readonly string[] = EXTENSION_ORIGINS): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !origins.includes(origin)) {
      next();
      return;
    }
    res.vary("Origin");
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE");
      res.setHeader("Access-Control-Allow-Headers", "authorization, content-type, idempotency-key");
      res.setHeader("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  };
}
