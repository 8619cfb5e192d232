/**
 * The dashboard's sign-in: `POST /session` trades a one-time code for a session cookie; with a session,
 * `GET /session` says who is signed in and `DELETE /session` signs out; with a bearer token,
 * `POST /session/codes` issues a new sign-in link (what `npm start` prints, for when it expired).
 */
import express, { Router, type Response } from "express";
import { z } from "zod";
import { fromOwnOrigin } from "./auth";
import { AppError } from "./errors";
import { SESSION_COOKIE, sessionIdFrom, type Sessions } from "./sessions";
import { parseOr } from "./validate";

const signInSchema = z.strictObject({ code: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not a sign-in code") });

/** The dashboard's address that signs in with `code` (the code rides in the fragment: no log or Referer sees it). */
export function signInUrl(apiUrl: string, code: string): string {
  return `${apiUrl.replace(/\/$/, "")}/#/sign-in/${code}`;
}

function setSessionCookie(res: Response, value: string, maxAgeSeconds: number): void {
  res.setHeader(
    "Set-Cookie",
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`,
  );
}

/** `POST /session`: mount before authentication (the caller has no session yet). */
export function signInRoutes(sessions: Sessions): Router {
  const router = Router();
  router.post("/session", express.json({ limit: 1024, strict: true }), async (req, res) => {
    // Only the dashboard signs in: a page elsewhere must not plant a session of its choosing.
    if (!fromOwnOrigin(req)) {
      throw new AppError("cross_site_request", "sign in from the dashboard's own page", 403, "origin");
    }
    if (!req.is("application/json")) {
      throw new AppError("unsupported_media_type", "the body must be application/json", 415, "body");
    }
    const { code } = parseOr(signInSchema, req.body, "body");
    const session = await sessions.redeem(code);
    if (!session) {
      throw new AppError(
        "invalid_sign_in_code",
        "this sign-in link was used already or has expired: run `npx reporunner sign-in` for a new one",
        401,
        "code",
      );
    }
    setSessionCookie(res, session.sessionId, sessions.times.sessionTtlSeconds);
    res.status(201).json({ owner: session.owner });
  });
  return router;
}

/** The routes that need a caller: mount after authentication. */
export function sessionRoutes(sessions: Sessions): Router {
  const router = Router();
  router.get("/session", (_req, res) => {
    res.json({ owner: String(res.locals.owner), via: String(res.locals.via) });
  });
  router.delete("/session", async (req, res) => {
    const id = sessionIdFrom(req.headers.cookie);
    if (id) await sessions.end(id);
    setSessionCookie(res, "", 0);
    res.status(204).end();
  });
  router.post("/session/codes", async (req, res) => {
    if (res.locals.via !== "token") {
      throw new AppError(
        "token_required",
        "a sign-in link is issued to a bearer token only",
        403,
        "authorization",
      );
    }
    const code = await sessions.issueCode(String(res.locals.owner));
    const origin = `${req.protocol}://${req.headers.host ?? ""}`;
    res.status(201).json({ url: signInUrl(origin, code), expiresInSeconds: sessions.times.codeTtlSeconds });
  });
  return router;
}
