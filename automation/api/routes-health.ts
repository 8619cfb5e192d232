/** Liveness, readiness and the OpenAPI document: unauthenticated, cheap, never touching a run. */
import { Router } from "express";

/** A named readiness check; rejects when the dependency cannot be used. */
export type ReadinessCheck = readonly [name: string, check: () => Promise<void>];

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timed out")), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}

/** Builds the router; `checks` are MongoDB, Redis and the engine; `document` is the OpenAPI document. */
export function healthRoutes(
  checks: readonly ReadinessCheck[],
  document: Record<string, unknown>,
  timeoutMs = 2000,
): Router {
  const router = Router();

  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, "ok"] as const;
        } catch {
          return [name, "unavailable"] as const;
        }
      }),
    );
    const down = results.filter(([, s]) => s !== "ok").map(([n]) => n);
    const body = { status: down.length ? "unavailable" : "ok", checks: Object.fromEntries(results) };
    if (down.length) {
      res.setHeader("Retry-After", "5");
      res.status(503).json({
        ...body,
        error: { code: "not_ready", message: `unavailable: ${down.join(", ")}` },
      });
      return;
    }
    res.json(body);
  });

  router.get("/openapi.json", (_req, res) => {
    res.json(document);
  });

  return router;
}
