/**
 * One log line per request once its response is done: `info`, or `error` for a 5xx (the error
 * middleware logs the cause). What pino-http wrote, without its two child loggers and serialised
 * request made for every request whether or not a line is written: on the read path they cost more
 * than the line.
 */
import type { RequestHandler } from "express";
import type { Logger } from "pino";

/** Probes polled by supervisors: never logged. */
const QUIET = new Set(["/healthz", "/readyz"]);
const MAX_ID = 2 ** 31 - 1;

/** The middleware; mount it first, so that it sees every answer. */
export function requestLog(logger: Logger): RequestHandler {
  let lastId = 0;
  return (req, res, next) => {
    if (QUIET.has(req.url)) {
      next();
      return;
    }
    const id = (lastId = (lastId + 1) & MAX_ID);
    const started = Date.now();
    res.once("close", () => {
      const level = res.statusCode >= 500 ? "error" : "info";
      if (!logger.isLevelEnabled(level)) return;
      // Only what identifies a request: never headers (tokens) or bodies (env values).
      const url = req.originalUrl;
      const query = url.indexOf("?");
      logger[level](
        {
          req: { id, method: req.method, url: query < 0 ? url : url.slice(0, query) },
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - started,
        },
        !res.writableFinished
          ? "request aborted"
          : level === "error"
            ? "request errored"
            : "request completed",
      );
    });
    next();
  };
}
