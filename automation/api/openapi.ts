/**
 * The OpenAPI 3.1 document, generated with zod's own `z.toJSONSchema` from the schemas the routes
 * validate with: what is documented is what is enforced.
 */
import { z } from "zod";
import {
  acceptedSchema,
  createRunSchema,
  errorSchema,
  listRunsQuerySchema,
  logsQuerySchema,
  logsSchema,
  runListSchema,
  runViewSchema,
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

function queryParameters(schema: z.ZodObject, defs: Json): Json[] {
  const json = toSchema(schema, "input", defs) as { properties?: Record<string, Json> };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: false,
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
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
  "401": error("missing or unknown bearer token"),
  "429": error("rate limit of the token exceeded (Retry-After)"),
  "503": error("MongoDB or Redis unavailable (Retry-After)"),
};

/** Builds the document (pure; served at `GET /openapi.json`). */
export function openApiDocument(): Json {
  const defs: Json = {};
  const createBody = toSchema(createRunSchema, "input", defs);
  toSchema(runViewSchema, "output", defs);
  toSchema(runListSchema, "output", defs);
  toSchema(acceptedSchema, "output", defs);
  toSchema(errorSchema, "output", defs);
  toSchema(logsSchema, "output", defs);
  const accepted = json(ref("Accepted"), "accepted; follow links.events");
  const notFound = error("no such run for this token's owner");
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
          summary: "Start a run of a Git repository",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              schema: { type: "string", maxLength: 200 },
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: createBody } } },
          responses: {
            "202": accepted,
            "400": error("invalid body; error.field names the field"),
            "413": error("body too large"),
            "415": error("not JSON"),
            "422": error("repoUrl refused by policy, ttl too long, or Idempotency-Key reused"),
            ...common,
          },
        },
        get: {
          summary: "The caller's runs, newest first",
          parameters: queryParameters(listRunsQuerySchema, defs),
          responses: {
            "200": json(ref("RunList"), "a page of runs"),
            "400": error("invalid query"),
            ...common,
          },
        },
      },
      "/runs/{id}": {
        get: {
          summary: "One run",
          parameters: [idParam],
          responses: { "200": json(ref("Run"), "the run"), "404": notFound, ...common },
        },
        delete: {
          summary: "Destroy the run's environment (DESTROYING → DESTROYED)",
          parameters: [idParam],
          responses: { "202": accepted, "404": notFound, ...common },
        },
      },
      "/runs/{id}/events": {
        get: {
          summary: "Server-Sent Events: state changes and engine output; closes when the run settles",
          parameters: [
            idParam,
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": {
              description: "text/event-stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "404": notFound,
            ...common,
          },
        },
      },
      "/runs/{id}/logs": {
        get: {
          summary: "The tail of the run's workload logs",
          parameters: [idParam, ...queryParameters(logsQuerySchema, defs)],
          responses: {
            "200": json(ref("Logs"), "log lines, oldest first"),
            "404": notFound,
            "409": error("the run has no workloads"),
            ...common,
          },
        },
      },
      "/runs/{id}/cancel": {
        post: {
          summary: "Cancel the update in flight",
          parameters: [idParam],
          responses: { "202": accepted, "404": notFound, "409": error("nothing to cancel"), ...common },
        },
      },
      "/runs/{id}/redeploy": {
        post: {
          summary: "Deploy the ref's newest commit again",
          parameters: [idParam],
          responses: {
            "202": accepted,
            "404": notFound,
            "409": error("not in a redeployable state"),
            ...common,
          },
        },
      },
      "/healthz": {
        get: { summary: "Liveness", security: [], responses: { "200": { description: "alive" } } },
      },
      "/readyz": {
        get: {
          summary: "Readiness: MongoDB, Redis and the engine reachable",
          security: [],
          responses: { "200": { description: "ready" }, "503": { description: "not ready (Retry-After)" } },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1" } } },
      },
    },
  };
}
