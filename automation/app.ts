/**
 * `createApp(deps)`: the Express application, built from its dependencies and connecting to nothing
 * itself. Order matters: secure headers and request logs, CORS for the browser extension (so its
 * preflights are answered before anything asks for a token), the unauthenticated probes and the OpenAPI
 * document, the dashboard's static page and its sign-in, 405 for a method the document does not
 * declare, then authentication (bearer token or dashboard session), the per-token rate limit, the body parser on the two routes that take a body (so an unauthenticated caller
 * cannot make us read a body), the run routes, and the one error middleware.
 */
import express from "express";
import helmet from "helmet";
import type Redis from "ioredis";
import type { Logger } from "pino";
import type { TokenTable } from "./config";
import { authenticate } from "./api/auth";
import { extensionCors } from "./api/cors";
import { dashboardRoutes } from "./api/dashboard";
import { AppError, errorMiddleware } from "./api/errors";
import { methodNotAllowed } from "./api/method-not-allowed";
import { openApiDocument } from "./api/openapi";
import { rateLimitPerToken } from "./api/rate-limit";
import { requestLog } from "./api/request-log";
import { healthRoutes, type ReadinessCheck } from "./api/routes-health";
import { runRoutes } from "./api/routes-runs";
import { sessionRoutes, signInRoutes } from "./api/routes-session";
import { Sessions } from "./api/sessions";
import type { ApiContract } from "./api/schemas";
import type { EventLog } from "./bus/event-log";
import type { RunService } from "./runs/service";
import type { RunStore } from "./runs/store";
import type { WorkloadLogs } from "./runs/workload-logs";

/** Everything the HTTP layer needs, built by `server.ts` (or a test). */
export interface AppDeps {
  readonly logger: Logger;
  readonly service: RunService;
  readonly store: RunStore;
  readonly events: EventLog;
  readonly logs: WorkloadLogs;
  /** Rate-limit counters live here. */
  readonly redis: Redis;
  readonly tokens: TokenTable;
  readonly readiness: readonly ReadinessCheck[];
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly sseHeartbeatMs: number;
  readonly ssePollMs?: number;
  /** What requests this server accepts (from its configuration); the OpenAPI document it serves says so. */
  readonly contract: ApiContract;
  /** Dashboard sign-in codes and sessions (default: kept in `redis`). */
  readonly sessions?: Sessions;
  /** The built dashboard (default `dashboard/dist`). */
  readonly dashboardDir?: string;
  /** Origins that get CORS headers (default: the browser extension's, `api/cors.ts`). */
  readonly corsOrigins?: readonly string[];
  /** The Jaeger UI a run's `traceUrl` points into (`REPORUNNER_JAEGER_UI_URL`); unset: no `traceUrl`. */
  readonly jaegerUiUrl?: string;
}

/** Builds the application. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.set("etag", false);

  app.use(requestLog(deps.logger));
  app.use(
    helmet({
      // The dashboard loads its own files only; no `upgrade-insecure-requests`: the API is plain HTTP on loopback.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    }),
  );

  const document = openApiDocument(deps.contract);
  const sessions = deps.sessions ?? new Sessions(deps.redis);
  app.use(extensionCors(deps.corsOrigins));
  app.use(healthRoutes(deps.readiness, document));
  app.use(dashboardRoutes(deps.dashboardDir));
  app.use(signInRoutes(sessions));
  app.use(methodNotAllowed(document));
  app.use(authenticate(deps.tokens, sessions));
  app.use(rateLimitPerToken(deps.redis, deps.rateLimitPerMinute));
  app.post(
    ["/runs", "/runs/:id/extend"],
    express.json({
      limit: deps.bodyLimitBytes,
      strict: true,
      type: ["application/json", "application/*+json"],
    }),
  );
  app.use(sessionRoutes(sessions));
  app.use(
    runRoutes({
      contract: deps.contract,
      service: deps.service,
      store: deps.store,
      events: deps.events,
      logs: deps.logs,
      jaegerUiUrl: deps.jaegerUiUrl,
      sse: { logger: deps.logger, heartbeatMs: deps.sseHeartbeatMs, pollMs: deps.ssePollMs },
    }),
  );
  app.use((req, _res, next) => {
    next(new AppError("not_found", `no route for ${req.method} ${req.path}`.slice(0, 200), 404, "path"));
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}
