/**
 * The OpenAPI 3.1 document, generated with zod's own `z.toJSONSchema` from the schemas the routes
 * validate with, under the server's own contract (its URL policy and TTL limit): what is documented is
 * what is enforced. `test/integration/api/contract-fuzz.test.ts` holds the server to it.
 */
import { z } from "zod";
import { RUN_STATES } from "../runs/states";
import {
  acceptedSchema,
  type ApiContract,
  createRunSchemaFor,
  errorSchema,
  extendRunSchemaFor,
  idempotencyKeySchema,
  lastEventIdSchema,
  listRunsQuerySchema,
  logsQuerySchema,
  logsSchema,
  outputEventSchema,
  PERMISSIVE_CONTRACT,
  runListSchema,
  runViewSchema,
  stateEventSchema,
} from "./schemas";

type Json = Record<string, unknown>;

/** JSON Schema of `schema`, its named parts moved into `defs` and references pointed at them. */
function toSchema(schema: z.ZodType, io: "input" | "output", defs: Json): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  const text = JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $defs, $schema: _schema, ...rest } = JSON.parse(text) as Json & { $defs?: Json };
  Object.assign(defs, $defs ?? {});
  return rest;
}

/** Query parameters from a query schema; `overrides` replaces a parameter's generated schema. */
function queryParameters(schema: z.ZodObject, defs: Json, overrides: Record<string, Json> = {}): Json[] {
  const json = toSchema(schema, "input", defs) as { properties?: Record<string, Json> };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: false,
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
    ...overrides[name],
  }));
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(ref("Error"), description);
const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[a-z0-9]{8,12}$" },
};
const common = {
  "400": error("malformed request (a header, a parameter, the path); error.field names it"),
  "401": error("missing or unknown bearer token"),
  "429": error("rate limit of the token exceeded (Retry-After)"),
  "503": error("MongoDB or Redis unavailable (Retry-After)"),
};

/** One Server-Sent Event of `GET /runs/{id}/events`: its `data` is JSON, by event type. */
function runEventSchema(): Json {
  const event = (type: string, data: string) => ({
    type: "object",
    required: ["id", "event", "data"],
    properties: {
      id: { type: "string", pattern: "^[0-9]+-[0-9]+$" },
      event: { const: type },
      data: { type: "string", contentMediaType: "application/json", contentSchema: ref(data) },
    },
  });
  return { oneOf: [event("state", "StateEvent"), event("output", "OutputEvent")] };
}

/** The operations on a run that its `id` (from `POST /runs`) leads to, for clients and generators. */
const RUN_LINKS = Object.fromEntries(
  ["getRun", "deleteRun", "getRunEvents", "getRunLogs", "cancelRun", "redeployRun", "extendRun"].map(
    (operationId) => [operationId, { operationId, parameters: { id: "$response.body#/id" } }],
  ),
);

/** Builds the document (pure; served at `GET /openapi.json`) for a server with `contract`. */
export function openApiDocument(contract: ApiContract = PERMISSIVE_CONTRACT): Json {
  const defs: Json = {};
  const createBody = toSchema(createRunSchemaFor(contract), "input", defs);
  const extendBody = toSchema(extendRunSchemaFor(contract), "input", defs);
  toSchema(runViewSchema, "output", defs);
  toSchema(runListSchema, "output", defs);
  toSchema(acceptedSchema, "output", defs);
  toSchema(errorSchema, "output", defs);
  toSchema(logsSchema, "output", defs);
  toSchema(stateEventSchema, "output", defs);
  toSchema(outputEventSchema, "output", defs);
  const accepted = json(ref("Accepted"), "accepted; follow links.events");
  const notFound = error("no such run for this token's owner");
  const busy = error("the run is changing state; retry");
  const health = (properties: Json) => ({ type: "object", required: ["status"], properties });
  return {
    openapi: "3.1.0",
    info: { title: "RepoRunner Run API", version: "1.0.0" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: defs,
    },
    security: [{ bearer: [] }],
    paths: {
      "/runs": {
        post: {
          operationId: "createRun",
          summary: "Start a run of a Git repository",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description: "A retry with the same key and body returns the first answer (24 hours)",
              schema: toSchema(idempotencyKeySchema, "input", defs),
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: createBody } } },
          responses: {
            "202": { ...accepted, links: RUN_LINKS },
            ...common,
            "400": error("invalid body; error.field names the field"),
            "413": error("body too large"),
            "415": error("not JSON"),
            "409": error("Idempotency-Key already used with another request"),
            "422": error(
              "repoUrl refused by the URL policy (its host resolves to a private address, is not allowed, or does not resolve)",
            ),
          },
        },
        get: {
          operationId: "listRuns",
          summary: "The caller's runs, newest first",
          parameters: queryParameters(listRunsQuerySchema, defs, {
            // One state or a comma-separated list (`READY,FAILED`); repeated parameters work too.
            status: {
              style: "form",
              explode: false,
              // At least one: `status=` reads as one empty name (refused), and no parameter means no filter.
              schema: { type: "array", items: ref("RunState"), minItems: 1, maxItems: RUN_STATES.length },
            },
          }),
          responses: {
            "200": json(ref("RunList"), "a page of runs"),
            ...common,
            "400": error("invalid query; error.field names the parameter"),
          },
        },
      },
      "/runs/{id}": {
        get: {
          operationId: "getRun",
          summary: "One run",
          parameters: [idParam],
          responses: { "200": json(ref("Run"), "the run"), "404": notFound, ...common },
        },
        delete: {
          operationId: "deleteRun",
          summary: "Destroy the run's environment (DESTROYING → DESTROYED); the record stays",
          parameters: [idParam],
          responses: { "202": accepted, "404": notFound, "409": busy, ...common },
        },
      },
      "/runs/{id}/events": {
        get: {
          operationId: "getRunEvents",
          summary: "Server-Sent Events: state changes and engine output; closes when the run settles",
          parameters: [
            idParam,
            {
              name: "Last-Event-ID",
              in: "header",
              required: false,
              schema: toSchema(lastEventIdSchema, "input", defs),
            },
          ],
          responses: {
            "200": {
              description: "text/event-stream: `state` and `output` events, each with an id to resume from",
              content: { "text/event-stream": { schema: runEventSchema() } },
            },
            "404": notFound,
            ...common,
          },
        },
      },
      "/runs/{id}/logs": {
        get: {
          operationId: "getRunLogs",
          summary: "The tail of the run's workload logs",
          parameters: [idParam, ...queryParameters(logsQuerySchema, defs)],
          responses: {
            "200": json(ref("Logs"), "log lines, oldest first"),
            "404": notFound,
            "409": error("the run has no workloads"),
            ...common,
            "400": error("invalid query; error.field names the parameter"),
          },
        },
      },
      "/runs/{id}/cancel": {
        post: {
          operationId: "cancelRun",
          summary: "Cancel the update in flight",
          parameters: [idParam],
          responses: { "202": accepted, "404": notFound, "409": error("nothing to cancel"), ...common },
        },
      },
      "/runs/{id}/redeploy": {
        post: {
          operationId: "redeployRun",
          summary: "Deploy the ref's newest commit again (the URL policy is checked again first)",
          parameters: [idParam],
          responses: {
            "202": accepted,
            "404": notFound,
            "409": error("not in a redeployable state"),
            "422": error("repoUrl refused by the URL policy now (for example its host resolves elsewhere)"),
            ...common,
          },
        },
      },
      "/runs/{id}/extend": {
        post: {
          operationId: "extendRun",
          summary:
            "Set the run's expiry to ttl seconds from now (any state but DESTROYING, DESTROYED, EXPIRED)",
          parameters: [idParam],
          requestBody: { required: true, content: { "application/json": { schema: extendBody } } },
          responses: {
            "200": json(ref("Run"), "the run, with its new expiresAt"),
            "404": notFound,
            "409": error("the run is being destroyed or is gone (not_extendable)"),
            ...common,
            "400": error(
              "invalid body (ttl outside 60 to the server's maximum); error.field names the field",
            ),
            "413": error("body too large"),
            "415": error("not JSON"),
          },
        },
      },
      "/healthz": {
        get: {
          operationId: "getHealth",
          summary: "Liveness",
          security: [],
          responses: { "200": json(health({ status: { const: "ok" } }), "alive") },
        },
      },
      "/readyz": {
        get: {
          operationId: "getReadiness",
          summary: "Readiness: MongoDB, Redis and the engine reachable",
          security: [],
          responses: {
            "200": json(
              health({
                status: { const: "ok" },
                checks: { type: "object", additionalProperties: { type: "string" } },
              }),
              "ready",
            ),
            "503": json(
              health({
                status: { const: "unavailable" },
                checks: { type: "object", additionalProperties: { type: "string" } },
              }),
              "not ready (Retry-After)",
            ),
          },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This document",
          security: [],
          responses: { "200": json({ type: "object" }, "OpenAPI 3.1") },
        },
      },
    },
  };
}
