/** The `/runs` routes: parse with the schemas, call the run service, map the result. */
import { Router, type Request } from "express";
import type { EventLog } from "../bus/event-log";
import { RUN_ID } from "../runs/ids";
import type { RunService } from "../runs/service";
import { FINAL } from "../runs/states";
import type { RunStore } from "../runs/store";
import type { WorkloadLogs } from "../runs/workload-logs";
import { AppError } from "./errors";
import { acceptedView, runView } from "./run-view";
import {
  type ApiContract,
  createRunSchemaFor,
  extendRunSchemaFor,
  idempotencyKeySchema,
  lastEventIdSchema,
  listRunsQuerySchema,
  logsQuerySchema,
} from "./schemas";
import { streamEvents, type SseDeps } from "./sse";
import { parseOr } from "./validate";

/** What the run routes need. */
export interface RunRoutesDeps {
  readonly service: RunService;
  readonly store: RunStore;
  readonly events: EventLog;
  readonly logs: WorkloadLogs;
  readonly sse: Omit<SseDeps, "events" | "store">;
  /** What this server accepts (its URL policy's syntax, its TTL limit); the OpenAPI document says the same. */
  readonly contract: ApiContract;
  /** The Jaeger UI base URL for `traceUrl`. */
  readonly jaegerUiUrl?: string;
}

function owner(res: { locals: Record<string, unknown> }): string {
  return String(res.locals.owner);
}

/** The run id of the path; a malformed id is a run that does not exist. */
function runId(req: Request): string {
  const id = req.params.id;
  if (typeof id !== "string" || !RUN_ID.test(id))
    throw new AppError("run_not_found", "no such run", 404, "id");
  return id;
}

function requireJson(req: Request): void {
  if (!req.is("application/json")) {
    throw new AppError("unsupported_media_type", "the body must be application/json", 415, "body");
  }
}

/** Builds the router. */
export function runRoutes(deps: RunRoutesDeps): Router {
  const { service } = deps;
  const router = Router();
  const createRunSchema = createRunSchemaFor(deps.contract);
  const extendRunSchema = extendRunSchemaFor(deps.contract);
  const view = (run: Parameters<typeof runView>[0]) => runView(run, deps.jaegerUiUrl);

  router.post("/runs", async (req, res) => {
    requireJson(req);
    const rawKey = req.headers["idempotency-key"];
    const key = rawKey === undefined ? undefined : parseOr(idempotencyKeySchema, rawKey, "Idempotency-Key");
    const input = parseOr(createRunSchema, req.body, "body");
    const { run, replayed } = await service.create(owner(res), input, key);
    if (replayed) res.setHeader("Idempotent-Replayed", "true");
    res.status(202).location(`/runs/${run._id}`).json(acceptedView(run));
  });

  router.get("/runs", async (req, res) => {
    const query = parseOr(listRunsQuerySchema, { ...req.query }, "query");
    const page = await service.list(owner(res), query);
    res.json({ items: page.items.map(view), nextCursor: page.nextCursor });
  });

  router.get("/runs/:id", async (req, res) => {
    res.json(view(await service.get(owner(res), runId(req))));
  });

  router.delete("/runs/:id", async (req, res) => {
    res.status(202).json(acceptedView(await service.destroy(owner(res), runId(req))));
  });

  router.post("/runs/:id/cancel", async (req, res) => {
    res.status(202).json(acceptedView(await service.cancel(owner(res), runId(req))));
  });

  router.post("/runs/:id/redeploy", async (req, res) => {
    res.status(202).json(acceptedView(await service.redeploy(owner(res), runId(req))));
  });

  router.post("/runs/:id/extend", async (req, res) => {
    const id = runId(req);
    requireJson(req);
    const input = parseOr(extendRunSchema, req.body, "body");
    res.json(view(await service.extend(owner(res), id, input)));
  });

  router.get("/runs/:id/events", async (req, res) => {
    const id = runId(req);
    const header = req.headers["last-event-id"];
    const last =
      header === undefined
        ? undefined
        : parseOr(lastEventIdSchema, header, "Last-Event-ID", "invalid_last_event_id") || undefined;
    await service.get(owner(res), id);
    await streamEvents(req, res, { ...deps.sse, events: deps.events, store: deps.store }, id, last);
  });

  router.get("/runs/:id/logs", async (req, res) => {
    const id = runId(req);
    const { tail } = parseOr(logsQuerySchema, { ...req.query }, "query");
    const run = await service.get(owner(res), id);
    if (!run.namespace || FINAL.includes(run.status)) {
      throw new AppError("no_workloads", `a run in state ${run.status} has no workloads`, 409, "status");
    }
    let lines: string[];
    try {
      lines = await deps.logs.tail(id, run.namespace, tail);
    } catch (err) {
      throw new AppError("logs_unavailable", "the workloads' logs cannot be read right now", 503, undefined, {
        cause: err,
        retryAfterSeconds: 5,
      });
    }
    res.json({ id, lines, truncated: lines.length >= tail });
  });

  return router;
}
