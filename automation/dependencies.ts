/**
 * Tells an outage (MongoDB or Redis unreachable, a connection dropped) from a fault in our own
 * requests, so that an outage becomes a 503 with Retry-After and a worker retries instead of failing
 * the run.
 */
import {
  MongoClientClosedError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoSystemError,
  MongoTopologyClosedError,
} from "mongodb";
import { ReplyError } from "ioredis";
import { unavailable } from "./api/errors";

// Server-side codes that mean "not now" rather than "never": shutdown, step-down, interruption.
const TRANSIENT_MONGO_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** Whether a MongoDB driver error means the database cannot be reached right now. */
export function isMongoOutage(err: unknown): boolean {
  if (err instanceof MongoServerError) {
    return TRANSIENT_MONGO_CODES.has(Number(err.code)) || err.hasErrorLabel("RetryableWriteError");
  }
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoSystemError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoServerClosedError ||
    err instanceof MongoOperationTimeoutError
  );
}

/** Whether an ioredis error means Redis cannot be reached right now (a reply error is our fault). */
export function isRedisOutage(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof ReplyError) return false;
  const code = (err as { code?: string }).code ?? "";
  return (
    err.name === "MaxRetriesPerRequestError" ||
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH"].includes(code) ||
    /Stream isn't writeable|Connection is closed|Command timed out|connect ETIMEDOUT|Reached the max retries/i.test(
      err.message,
    )
  );
}

/** Whether an error is any dependency outage: the 503 AppError of the helpers below, or a raw one. */
export function isOutage(err: unknown): boolean {
  return (err as { code?: string })?.code === "unavailable" || isMongoOutage(err) || isRedisOutage(err);
}

/** Runs a MongoDB call, turning an outage into a 503 AppError. */
export async function mongoCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isMongoOutage(err)) throw unavailable("the run store (MongoDB)", err);
    throw err;
  }
}

/** Runs a Redis call, turning an outage into a 503 AppError. */
export async function redisCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isRedisOutage(err)) throw unavailable("the event bus (Redis)", err);
    throw err;
  }
}
