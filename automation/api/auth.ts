/**
 * Authentication: a bearer token (the CLI, scripts) or a dashboard session cookie (`sessions.ts`).
 * Tokens are kept as SHA-256 digests (they are long random strings, so a fast hash is enough); the
 * owner a token or session maps to owns every run it creates.
 *
 * A cookie is sent by the browser on its own, so a session's writes must come from the dashboard's
 * own origin. SameSite=Strict is not enough here: a run's preview on `127.0.0.1:<port>` is the same
 * *site* as the API on `127.0.0.1:7380` (sites ignore ports), and it runs whatever the repository
 * ships. So a session's POST or DELETE needs an `Origin` equal to the API's, and a `Sec-Fetch-Site`,
 * when the browser sends one, of `same-origin`.
 */
import { createHash } from "node:crypto";
import type { Request, RequestHandler } from "express";
import type { TokenTable } from "../config";
import { AppError } from "./errors";
import { sessionIdFrom, type Sessions } from "./sessions";

/** The SHA-256 digest (hex) under which a token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

/** Whether a request comes from a page of the API's own origin (as its `Origin` and fetch metadata say). */
export function fromOwnOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  // The API speaks plain HTTP (`trust proxy` is off, so this is the socket's own protocol).
  return origin !== undefined && origin === `${req.protocol}://${req.headers.host ?? ""}`;
}

/**
 * Sets `res.locals.owner`, `res.locals.tokenId` (the digest the rate limit counts under) and
 * `res.locals.via` (`token` or `session`), or answers 401; a session's cross-origin write gets 403.
 */
export function authenticate(tokens: TokenTable, sessions?: Sessions): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const sessionId = header === undefined && sessions ? sessionIdFrom(req.headers.cookie) : undefined;
    if (sessionId !== undefined && sessions) {
      sessions.ownerOf(sessionId).then((owner) => {
        if (!owner) {
          next(new AppError("unauthorized", "the session has ended; sign in again", 401, "cookie"));
          return;
        }
        if (!SAFE_METHODS.includes(req.method) && !fromOwnOrigin(req)) {
          next(
            new AppError(
              "cross_site_request",
              "a session may change runs only from the dashboard's own origin",
              403,
              "origin",
            ),
          );
          return;
        }
        res.locals.owner = owner;
        res.locals.tokenId = hashToken(`session:${sessionId}`);
        res.locals.via = "session";
        next();
      }, next);
      return;
    }
    const match = header ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    const digest = match ? hashToken(match[1]!) : undefined;
    // Looked up by digest: a timing difference would reveal bits of a hash, not of a token.
    const owner = digest ? tokens.get(digest) : undefined;
    if (!owner || !digest) {
      next(new AppError("unauthorized", "a valid bearer token is required", 401, "authorization"));
      return;
    }
    res.locals.owner = owner;
    res.locals.tokenId = digest;
    res.locals.via = "token";
    next();
  };
}
