/**
 * The request and response schemas: the routes validate with them and `openapi.ts` documents them,
 * so the documentation cannot drift from what is enforced.
 */
import { z } from "zod";
import { RUN_STATES } from "../runs/states";
import { PAGE_CURSOR } from "../runs/store";

/**
 * Printable text: no control characters (C0, DEL, C1), no bidi overrides. Spelt out as ranges rather
 * than `\p{Cc}`: the pattern is published in the OpenAPI document, and clients and test generators in
 * other languages must be able to use it as written.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/u;

/**
 * No lone surrogate (not Unicode at all, and invalid JSON text by RFC 8259). Checked apart from
 * `PRINTABLE`: a pattern with surrogates in it is one that Rust or Python validators cannot compile.
 */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

/**
 * A git ref as `git check-ref-format` accepts it, restricted further to ASCII so that it is safe on a
 * command line: no leading `-` (it would read as an option), no `..`, no `@{`, no `.lock` suffix.
 */
export const refSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, "ref may contain letters, digits and . _ / - only")
  // One pattern for the rest, so that the document publishes it too: no leading - or /, no .. or //,
  // no trailing /, . or .lock.
  .regex(new RegExp("^(?![-/])(?!.*(?:\\.\\.|//))(?!.*(?:/|\\.|\\.lock)$)"), "ref is not a valid git ref")
  .meta({ description: "Branch, tag or commit SHA; default: the remote's default branch", example: "main" });

const RESERVED_KEYS = ["__proto__", "constructor", "prototype"];

/** Environment for the run's workloads: POSIX-ish names, printable values. */
export const envSchema = z
  .unknown()
  // Checked on the parsed JSON itself: a record built from `{"__proto__": …}` would silently drop it.
  .refine(
    (v) => typeof v !== "object" || v === null || !RESERVED_KEYS.some((k) => Object.hasOwn(v, k)),
    "env names __proto__, constructor and prototype are reserved",
  )
  .pipe(
    z.record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "env names are letters, digits and _")
        // Names that mean something to JavaScript objects are refused before they reach one.
        .refine((k) => !RESERVED_KEYS.includes(k), "this env name is reserved"),
      z
        .string()
        .max(4096)
        .regex(PRINTABLE, "env values must be printable text")
        .refine(wellFormed, "env values must be printable text"),
    ),
  )
  .refine((e) => Object.keys(e).length <= 64, "env may have at most 64 entries")
  .meta({
    description: "Extra environment for every workload; values are never returned or logged",
    type: "object",
    maxProperties: 64,
    propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$", not: { enum: RESERVED_KEYS } },
    additionalProperties: { type: "string", maxLength: 4096, pattern: PRINTABLE.source },
  });

/**
 * What this server accepts, from its configuration: the OpenAPI document it serves and the schemas it
 * validates with are built from it, so a request the document calls valid is one the server takes
 * (short of state: a host's DNS answer, a run that does not exist, a reused Idempotency-Key).
 */
export interface ApiContract {
  /** The URL policy's syntax knobs (`url-policy.ts` checks the rest: DNS, allowed hosts). */
  readonly urlPolicy: {
    readonly allowHttp: boolean;
    readonly allowPrivateTargets: boolean;
    readonly allowLocalSources?: boolean;
  };
  readonly maxTtlSeconds: number;
}

/** Everything any configuration accepts: http, IP literals, local sources, the largest TTL. */
export const PERMISSIVE_CONTRACT: ApiContract = {
  urlPolicy: { allowHttp: true, allowPrivateTargets: true, allowLocalSources: true },
  maxTtlSeconds: 31_536_000,
};

// A DNS name whose last label starts with a letter: the WHATWG URL parser reads a host whose last
// label is a number (`0`, `1.2`, `0x7f.1`) as an IPv4 address, which only a lab may name.
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DNS_NAME = `(?:${LABEL}\\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IP_LITERAL = `(?:${OCTET}(?:\\.${OCTET}){3}|\\[[0-9A-Fa-f:.]{2,45}\\])`;
const PORT = "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?";
// Printable ASCII but `?`, `#` and `\\` (a query, a fragment, a backslash the parser turns into `/`).
const PATH = "(?:/[\\x21\\x22\\x24-\\x3e\\x40-\\x5b\\x5d-\\x7e]*)?";
// An absolute path on the API's machine: printable text, spaces allowed (`My Projects`), no other white space.
const LOCAL_PATH =
  "(?:/|file:///)[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*";

/** The pattern of `repoUrl` under a contract: the URLs (and paths) the URL policy can accept. */
export function repoUrlPattern(contract: ApiContract): string {
  const { allowHttp, allowPrivateTargets, allowLocalSources } = contract.urlPolicy;
  const host = allowPrivateTargets ? `(?:${DNS_NAME}|${IP_LITERAL})` : DNS_NAME;
  const remote = `${allowHttp ? "https?" : "https"}://${host}${PORT}${PATH}`;
  return `^(?:${remote}${allowLocalSources ? `|${LOCAL_PATH}` : ""})$`;
}

const LOCAL_SOURCES_OFF =
  "repoUrl is a local path, and this API runs no local repositories (start it with REPORUNNER_ALLOW_LOCAL_SOURCES=true)";

/** A run's TTL in seconds under a contract: the same bounds for a new run and an extension. */
function ttlSchemaFor(contract: ApiContract) {
  return z
    .number()
    .int()
    .min(60)
    .max(contract.maxTtlSeconds)
    .meta({
      description: `Seconds until the run is destroyed (EXPIRED); at most ${contract.maxTtlSeconds} on this server`,
    });
}

/** `POST /runs` body under a contract. Unknown fields are refused, so a typo does not pass silently. */
export function createRunSchemaFor(contract: ApiContract) {
  const allowLocal = contract.urlPolicy.allowLocalSources === true;
  const pattern = new RegExp(repoUrlPattern(contract), "u");
  return z
    .strictObject({
      repoUrl: z
        .string()
        .min(1)
        .max(2048)
        // A local path when they are off: say so, with the setting that turns them on.
        .refine((u) => allowLocal || !/^(?:\/|file:)/i.test(u), {
          message: LOCAL_SOURCES_OFF,
          params: { code: "local_sources_disabled" },
          abort: true,
        })
        .refine(wellFormed, "repoUrl must be printable text")
        .regex(
          pattern,
          `repoUrl must be an ${contract.urlPolicy.allowHttp ? "http(s)" : "https"} URL of a Git repository` +
            `${contract.urlPolicy.allowPrivateTargets ? "" : " on a named host"}` +
            `${allowLocal ? ", or the absolute path of a git working tree" : ""}`,
        )
        .meta({
          description:
            "https URL of a Git repository on a named host (no IP address unless private targets are allowed); " +
            "http too with REPORUNNER_ALLOW_HTTP; with REPORUNNER_ALLOW_LOCAL_SOURCES also the absolute path of a git working tree on the API's machine",
          example: "https://github.com/org/repo.git",
        }),
      ref: refSchema.optional(),
      mode: z.enum(["auto", "dockerfile", "compose"]).default("auto"),
      previewPort: z.int().min(1).max(65535).optional().meta({
        description:
          "The port the app listens on, for a repository run from a lone Dockerfile that EXPOSEs none: it becomes the run's preview (a compose file publishes its own ports)",
        example: 8080,
      }),
      ttl: ttlSchemaFor(contract).optional(),
      env: envSchema.default({}),
    })
    .meta({ id: "CreateRun" });
}

/** `POST /runs` body as any configuration accepts it (the server validates with its own contract's). */
export const createRunSchema = createRunSchemaFor(PERMISSIVE_CONTRACT);

export type CreateRunInput = z.output<typeof createRunSchema>;

/** `POST /runs/:id/extend` body under a contract: the run's new TTL, counted from now. */
export function extendRunSchemaFor(contract: ApiContract) {
  return z
    .strictObject({
      ttl: ttlSchemaFor(contract).meta({
        description: `Seconds from now until the run is destroyed (EXPIRED); at most ${contract.maxTtlSeconds} on this server`,
        example: 3600,
      }),
    })
    .meta({ id: "ExtendRun" });
}

export type ExtendRunInput = z.output<ReturnType<typeof extendRunSchemaFor>>;

/** `Idempotency-Key` header. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII only");

export const runStateSchema = z.enum(RUN_STATES).meta({ id: "RunState" });

/** `Last-Event-ID` header: an event id (`<ms>-<seq>`, each within Redis' 64 bits), or empty for none. */
export const lastEventIdSchema = z
  .string()
  .max(40)
  .regex(/^(?:[0-9]{1,19}-[0-9]{1,19})?$/, "Last-Event-ID is not an event id")
  .meta({ description: "The `id` of the last event received; the stream resumes after it" });

/** `GET /runs` query. */
export const listRunsQuerySchema = z.strictObject({
  status: z
    .union([z.string(), z.array(z.string())])
    // `status=` is a list of one empty name, as OpenAPI's form style reads it: refused, like any unknown name.
    .transform((v) => (Array.isArray(v) ? v : v.split(",")))
    .pipe(z.array(runStateSchema).max(RUN_STATES.length))
    .optional()
    .meta({ description: "One state or a comma-separated list", example: "READY,FAILED" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(PAGE_CURSOR, "cursor is not a page cursor")
    .optional()
    .meta({ description: "`nextCursor` of the previous page: the runs older than the one it names" }),
});

export type ListRunsQuery = z.output<typeof listRunsQuerySchema>;

/** `GET /runs/:id/logs` query. */
export const logsQuerySchema = z.strictObject({
  tail: z.coerce.number().int().min(1).max(5000).default(200),
});

const linksSchema = z.object({
  self: z.string(),
  events: z.string(),
  logs: z.string(),
  cancel: z.string(),
  redeploy: z.string(),
  extend: z.string(),
});

const phaseSchema = z.object({
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  durationMs: z.number().optional(),
});

/** A run as clients see it. */
export const runViewSchema = z
  .object({
    id: z.string(),
    status: runStateSchema,
    repoUrl: z.string(),
    ref: z.string().nullable(),
    mode: z.enum(["auto", "dockerfile", "compose"]),
    envKeys: z.array(z.string()),
    ttl: z.number(),
    reason: z.string().nullable(),
    commitSha: z.string().nullable(),
    namespace: z.string().nullable(),
    previewUrls: z.record(z.string(), z.string()),
    localUrls: z.record(z.string(), z.string()).meta({
      description: "READY runs: each preview on localhost, at its published port when that was free",
    }),
    images: z.record(z.string(), z.string()),
    warnings: z.array(z.string()),
    phases: z.record(z.string(), phaseSchema),
    history: z.array(
      z.object({
        from: runStateSchema.nullable(),
        to: runStateSchema,
        at: z.iso.datetime(),
        reason: z.string().optional(),
      }),
    ),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .nullable()
      .meta({
        description:
          "The run's OpenTelemetry trace (W3C trace id): clone, build, `pulumi up`, rollouts, preview check. Null when the server traced nothing (no `REPORUNNER_OTLP_ENDPOINT`)",
      }),
    traceUrl: z.string().nullable().meta({
      description: "The trace in the Jaeger UI; null without a trace or a configured Jaeger UI",
    }),
    links: linksSchema,
  })
  .meta({ id: "Run" });

export const acceptedSchema = z
  .object({ id: z.string(), status: runStateSchema, links: linksSchema })
  .meta({ id: "Accepted" });

export const runListSchema = z
  .object({ items: z.array(runViewSchema), nextCursor: z.string().nullable() })
  .meta({ id: "RunList" });

export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
  })
  .meta({ id: "Error" });

export const logsSchema = z
  .object({ id: z.string(), lines: z.array(z.string()), truncated: z.boolean() })
  .meta({ id: "Logs" });

/** `data` of a `state` event. */
export const stateEventSchema = z
  .object({ status: runStateSchema, reason: z.string().optional(), at: z.iso.datetime() })
  .meta({ id: "StateEvent" });

/** `data` of an `output` event: one line of the engine's or the worker's output. */
export const outputEventSchema = z.object({ line: z.string() }).meta({ id: "OutputEvent" });
