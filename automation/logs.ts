/**
 * The service's logger. Secrets never reach a log line: the paths below are redacted wherever they
 * appear, and run records are logged by id, never whole.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import { activeTraceFields } from "./tracing/spans";

/** Paths pino replaces with "[redacted]": credentials, run environments, tokens. */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['idempotency-key']",
  "res.headers['set-cookie']",
  "authorization",
  "token",
  "env",
  "password",
  "*.authorization",
  "*.token",
  "*.env",
  "*.password",
  "request.env",
  "request.token",
];

/**
 * Creates the root logger; `destination` lets tests capture every line. With `traced` (tracing on),
 * a line written inside a span carries its `trace_id` and `span_id`: the line leads to its trace.
 */
export function createLogger(level: string, destination?: DestinationStream, traced = false): Logger {
  const options = {
    level,
    base: { service: "reporunner-api" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(traced ? { mixin: activeTraceFields } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
