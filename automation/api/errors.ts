/**
 * The one error type of the service and the one middleware that turns any error into
 * `{ "error": { "code", "message", "field"? } }`. Nothing else writes an error response.
 */
import type { ErrorRequestHandler, Response } from "express";
import type { Logger } from "pino";

/** An error fit to show a client: a stable code, plain words, the HTTP status, the field at fault. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly field?: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly retryAfterSeconds?: number;
}

/** 503 for a dependency (MongoDB, Redis, the engine) that cannot be reached right now. */
export function unavailable(what: string, cause?: unknown): AppError {
  return new AppError("unavailable", `${what} is unavailable; retry later`, 503, undefined, {
    cause,
    retryAfterSeconds: 5,
  });
}

/** body-parser's error types, which reach us as plain errors with `type` and `status`. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  "entity.parse.failed": [400, "invalid_json", "the body is not valid JSON"],
  "entity.too.large": [413, "payload_too_large", "the body is too large"],
  "charset.unsupported": [415, "unsupported_charset", "the body's charset is not supported"],
  "encoding.unsupported": [415, "unsupported_encoding", "the body's content encoding is not supported"],
  "request.aborted": [400, "request_aborted", "the request was aborted"],
  "request.size.invalid": [400, "invalid_body_size", "the body's size does not match Content-Length"],
  "stream.encoding.set": [400, "invalid_body", "the body could not be read"],
  "parameters.too.many": [413, "payload_too_large", "the body has too many parameters"],
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if ((err as Error)?.name === "LockBusyError") {
    return new AppError("run_busy", "the run is being updated; retry", 503, undefined, {
      cause: err,
      retryAfterSeconds: 1,
    });
  }
  const e = err as { type?: string; status?: number } | undefined;
  const known = e?.type ? BODY_ERRORS[e.type] : undefined;
  if (known) return new AppError(known[1], known[2], known[0], "body", { cause: err });
  // A compressed body that does not decompress.
  if (
    typeof (e as { code?: unknown })?.code === "string" &&
    String((e as { code: string }).code).startsWith("Z_")
  ) {
    return new AppError("invalid_body", "the body could not be decompressed", 400, "body", { cause: err });
  }
  // Any other 4xx from Express' own layers (for example a malformed URL) stays a client error.
  if (e?.status && e.status >= 400 && e.status < 500) {
    return new AppError("bad_request", "the request is malformed", e.status, "request", { cause: err });
  }
  return new AppError("internal", "internal error", 500, undefined, { cause: err });
}

/** Writes an AppError as the JSON body every client sees. */
export function sendError(res: Response, error: AppError): void {
  if (error.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(error.retryAfterSeconds));
  if (error.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="reporunner"');
  const body: { code: string; message: string; field?: string } = {
    code: error.code,
    message: error.message,
  };
  if (error.field !== undefined) body.field = error.field;
  res.status(error.status).json({ error: body });
}

/** The error middleware: logs server faults with their cause, never a client's input. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    const error = toAppError(err);
    if (res.headersSent) {
      next(err);
      return;
    }
    if (error.status >= 500) {
      logger.error({ err: error.cause ?? err, code: error.code, method: req.method }, "request failed");
    }
    sendError(res, error);
  };
}
