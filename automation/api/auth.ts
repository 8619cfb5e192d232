/**
 * Bearer-token authentication. Tokens are kept as SHA-256 digests (they are long random strings, so a
 * fast hash is enough); the owner a token maps to owns every run it creates.
 */
import { createHash } from "node:crypto";
import type { RequestHandler } from "express";
import type { TokenTable } from "../config";
import { AppError } from "./errors";

/** The SHA-256 digest (hex) under which a token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Sets `res.locals.owner` (and `res.locals.tokenId`, the digest) or answers 401. */
export function authenticate(tokens: TokenTable): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
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
    next();
  };
}
