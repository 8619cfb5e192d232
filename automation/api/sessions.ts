/**
 * Browser sessions for the dashboard. `npm start` (or `reporunner sign-in`) issues a one-time sign-in
 * code for an owner; the dashboard trades it once for a session, kept in an HttpOnly, SameSite=Strict
 * cookie. Codes and sessions live in Redis under the SHA-256 digest of their secret, like tokens, so
 * every API instance knows them and a Redis dump reveals none.
 */
import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import { redisCall } from "../dependencies";
import { hashToken } from "./auth";

/** The session cookie's name. No `__Host-` prefix: that needs `Secure`, and the API speaks plain HTTP on loopback. */
export const SESSION_COOKIE = "reporunner_session";

/** How long a sign-in code and a session last. */
export interface SessionTimes {
  /** Seconds a sign-in code may wait to be used (default 15 minutes). */
  readonly codeTtlSeconds: number;
  /** Seconds a session lasts from sign-in (default 12 hours). */
  readonly sessionTtlSeconds: number;
}

const DEFAULT_TIMES: SessionTimes = { codeTtlSeconds: 900, sessionTtlSeconds: 12 * 3600 };

/** A secret fit for a URL or a cookie: 32 random bytes in base64url. */
const secret = () => randomBytes(32).toString("base64url");

/** Sign-in codes and sessions in Redis. */
export class Sessions {
  readonly times: SessionTimes;

  constructor(
    private readonly redis: Redis,
    times: Partial<SessionTimes> = {},
  ) {
    this.times = { ...DEFAULT_TIMES, ...times };
  }

  /** A new one-time sign-in code for `owner`. */
  async issueCode(owner: string): Promise<string> {
    const code = secret();
    await redisCall(() =>
      this.redis.set(`signin:${hashToken(code)}`, owner, "EX", this.times.codeTtlSeconds),
    );
    return code;
  }

  /** Trades a code for a new session (the code is gone either way); undefined for an unknown or used code. */
  async redeem(code: string): Promise<{ sessionId: string; owner: string } | undefined> {
    const key = `signin:${hashToken(code)}`;
    // GET and DEL in one transaction: two tabs racing with one code get one session between them.
    const reply = await redisCall(() => this.redis.multi().get(key).del(key).exec());
    const owner = reply?.[0]?.[1];
    if (typeof owner !== "string" || owner === "") return undefined;
    const sessionId = secret();
    await redisCall(() =>
      this.redis.set(`session:${hashToken(sessionId)}`, owner, "EX", this.times.sessionTtlSeconds),
    );
    return { sessionId, owner };
  }

  /** The owner of a live session, or undefined. */
  async ownerOf(sessionId: string): Promise<string | undefined> {
    const owner = await redisCall(() => this.redis.get(`session:${hashToken(sessionId)}`));
    return owner ?? undefined;
  }

  /** Ends a session (signing out). */
  async end(sessionId: string): Promise<void> {
    await redisCall(() => this.redis.del(`session:${hashToken(sessionId)}`));
  }
}

/** The session id in a `Cookie` header, if it carries one of the right shape. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}
