/**
 * The request and response schemas: the routes validate with them and `openapi.ts` documents them,
 * so the documentation cannot drift from what is enforced.
 */
import { z } from "zod";
import { RUN_STATES } from "../runs/states";

/** Printable text: no control characters, no lone surrogates, no bidi overrides. */
const SAFE_TEXT = /^[^\p{Cc}\p{Cs}\u202a-\u202e\u2066-\u2069]*$/u;

/**
 * A git ref as `git check-ref-format` accepts it, restricted further to ASCII so that it is safe on a
 * command line: no leading `-` (it would read as an option), no `..`, no `@{`, no `.lock` suffix.
 */
export const refSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, "ref may contain letters, digits and . _ / - only")
  .refine(
    (r) => !r.startsWith("-") && !r.startsWith("/") && !r.endsWith("/"),
    "ref must not start with - or /",
  )
  .refine((r) => !r.includes("..") && !r.includes("//") && !r.endsWith(".lock") && !r.endsWith("."), {
    message: "ref is not a valid git ref",
  })
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
      z.string().max(4096).regex(SAFE_TEXT, "env values must be printable text"),
    ),
  )
  .refine((e) => Object.keys(e).length <= 64, "env may have at most 64 entries")
  .meta({
    description: "Extra environment for every workload; values are never returned or logged",
    type: "object",
    maxProperties: 64,
    propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,127}$" },
    additionalProperties: { type: "string", maxLength: 4096 },
  });

/** `POST /runs` body. Unknown fields are refused, so a typo does not pass silently. */
export const createRunSchema = z
  .strictObject({
    repoUrl: z
      .string()
      .min(1)
      .max(2048)
      .regex(SAFE_TEXT, "repoUrl must be printable text")
      // A local path may contain spaces (`/home/me/My Projects/app`); a URL never does.
      .refine((u) => !(u.startsWith("/") ? /[^\S ]/u : /\s/u).test(u), "repoUrl must not contain white space")
      // `file:///path` is the one URL without a host (a local source, when the server allows them).
      .refine((u) => !/^(?!file:)[a-z][a-z0-9+.-]*:\/\/\//i.test(u), "repoUrl has no host")
      .meta({
        description:
          "https URL of a Git repository; with REPORUNNER_ALLOW_LOCAL_SOURCES also the absolute path of a git working tree on the API's machine",
        example: "https://github.com/org/repo.git",
      }),
    ref: refSchema.optional(),
    mode: z.enum(["auto", "dockerfile", "compose"]).default("auto"),
    ttl: z.number().int().min(60).optional().meta({
      description: "Seconds until the run is destroyed (EXPIRED); default and maximum configurable",
    }),
    env: envSchema.default({}),
  })
  .meta({ id: "CreateRun" });

export type CreateRunInput = z.output<typeof createRunSchema>;

/** `Idempotency-Key` header. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "printable ASCII only");

export const runStateSchema = z.enum(RUN_STATES).meta({ id: "RunState" });

/** `GET /runs` query. */
export const listRunsQuerySchema = z.strictObject({
  status: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).filter(Boolean))
    .pipe(z.array(runStateSchema).max(RUN_STATES.length))
    .optional()
    .meta({ description: "One state or a comma-separated list", example: "READY,FAILED" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .meta({ description: "`nextCursor` of the previous page" }),
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
