/**
 * 405 Method Not Allowed for a method the OpenAPI document does not declare on a path it does
 * declare, with the `Allow` header RFC 9110 asks for; `OPTIONS` answers 204 with the same header.
 * Built from the document itself, so the two cannot disagree.
 */
import type { RequestHandler } from "express";
import { AppError, sendError } from "./errors";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** `/runs/{id}/events` → a RegExp for the paths Express routes there (case-insensitive, optional `/`). */
function pathPattern(template: string): RegExp {
  const escaped = template
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
    .join("[^/]+");
  return new RegExp(`^${escaped}/?$`, "i");
}

/** The middleware; mount it before authentication (the document is public, so is what it allows). */
export function methodNotAllowed(document: { paths?: Record<string, object> }): RequestHandler {
  const routes = Object.entries(document.paths ?? {}).map(([template, item]) => {
    const declared = Object.keys(item)
      .filter((key) => METHODS.includes(key))
      .map((m) => m.toUpperCase());
    // Express answers HEAD wherever it answers GET; OPTIONS is answered here.
    const allowed = [...declared, ...(declared.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
    return { pattern: pathPattern(template), allowed, allow: allowed.join(", ") };
  });
  return (req, res, next) => {
    const route = routes.find((r) => r.pattern.test(req.path));
    if (!route || (route.allowed.includes(req.method) && req.method !== "OPTIONS")) {
      next();
      return;
    }
    res.setHeader("Allow", route.allow);
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    sendError(
      res,
      new AppError(
        "method_not_allowed",
        `${req.method} is not allowed here (Allow: ${route.allow})`,
        405,
        "method",
      ),
    );
  };
}
