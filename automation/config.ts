/**
 * The service's configuration: read from the environment once at start-up, validated, and handed to
 * every part as a typed object. A wrong value stops the process with the variable's name.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { ENGINE_ENV, engineConfigFrom, type EngineConfig } from "./engine/engine-config";
import { reporunnerHome } from "./local/home";
import { decodeEnvKey, type EnvKeySource } from "./runs/env-seal";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean),
);

/**
 * Worker loops of an API: 16 runs at once finished soonest and steadiest with 3 loops on 2 cores
 * (npm run bench -- api --runs 16 --workers W: 27.3 and 27.8 s, against 30.3 and 42.1 s with 2;
 * 30.7 s with 3 against 32.5 s with 4 on a later day).
 */
export const DEFAULT_WORKERS = 3;

/**
 * Every variable the service reads, with its default, and the engine's (`ENGINE_ENV`). Documented in
 * the README ("Configuration of the Run API").
 */
const envSchema = ENGINE_ENV.extend({
  REPORUNNER_HOST: z.string().min(1).default("127.0.0.1"),
  // Not 8080, the port apps publish most: a run's preview keeps its own number on localhost.
  REPORUNNER_PORT: int(0, 65535).default(7380),
  REPORUNNER_MONGODB_URL: z.string().startsWith("mongodb").default("mongodb://127.0.0.1:27017/reporunner"),
  REPORUNNER_REDIS_URL: z.string().startsWith("redis").default("redis://127.0.0.1:6379"),
  REPORUNNER_TOKENS: z.string().default(""),
  REPORUNNER_TOKENS_FILE: z.string().optional(),
  REPORUNNER_WORKERS: int(0, 64).default(DEFAULT_WORKERS),
  REPORUNNER_VISIBILITY_TIMEOUT_MS: int(1000, 3_600_000).default(60_000),
  REPORUNNER_MAX_ATTEMPTS: int(1, 10).default(3),
  REPORUNNER_SHUTDOWN_GRACE_MS: int(0, 600_000).default(20_000),
  REPORUNNER_SWEEP_INTERVAL_MS: int(0, 86_400_000).default(30_000),
  REPORUNNER_RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(120),
  REPORUNNER_BODY_LIMIT_BYTES: int(256, 10_000_000).default(16_384),
  REPORUNNER_DEFAULT_TTL_SECONDS: int(60, 31_536_000).default(3600),
  REPORUNNER_MAX_TTL_SECONDS: int(60, 31_536_000).default(7 * 86_400),
  REPORUNNER_ALLOW_HTTP: bool.default(false),
  REPORUNNER_ALLOWED_HOSTS: list.default([]),
  REPORUNNER_ALLOW_PRIVATE_TARGETS: bool.default(false),
  REPORUNNER_ALLOW_LOCAL_SOURCES: bool.default(false),
  REPORUNNER_EVENTS_MAXLEN: int(10, 1_000_000).default(2000),
  REPORUNNER_SSE_HEARTBEAT_MS: int(100, 300_000).default(15_000),
  REPORUNNER_ENGINE_MODULE: z.string().min(1).default("./engine/pulumi-run-engine"),
  REPORUNNER_LOCAL_PREVIEWS: bool.default(true),
  REPORUNNER_ENV_KEY: z
    .string()
    .refine((v) => decodeEnvKey(v) !== undefined, "must be 32 bytes in base64 (openssl rand -base64 32)")
    .optional(),
  REPORUNNER_ENV_KEY_FILE: z.string().min(1).optional(),
  REPORUNNER_OTLP_ENDPOINT: z.union([z.literal(""), z.url({ protocol: /^https?$/ })]).optional(),
  REPORUNNER_JAEGER_UI_URL: z.union([z.literal(""), z.url({ protocol: /^https?$/ })]).optional(),
  REPORUNNER_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
});

/** A token's owner, keyed by the token's SHA-256 digest (hex): tokens are never kept in plain text. */
export type TokenTable = ReadonlyMap<string, string>;

/** The validated configuration. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly mongodbUrl: string;
  readonly redisUrl: string;
  readonly tokens: TokenTable;
  /** Worker loops in the server process; 0 leaves the jobs to `npm run worker` processes. */
  readonly workers: number;
  /** How long a job may go without its holder's heartbeat before another worker claims it. */
  readonly visibilityTimeoutMs: number;
  /** Interrupted attempts (crash, shutdown) after which a run fails instead of resuming. */
  readonly maxAttempts: number;
  readonly shutdownGraceMs: number;
  /** 0 turns the TTL reaper and orphan sweeper off in this process. */
  readonly sweepIntervalMs: number;
  readonly rateLimitPerMinute: number;
  readonly bodyLimitBytes: number;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly urlPolicy: {
    readonly allowHttp: boolean;
    readonly allowedHosts: readonly string[];
    readonly allowPrivateTargets: boolean;
    /**
     * Accept an absolute path of a git working tree on this machine as `repoUrl` (`reporunner run .`).
     * Off by default: it lets every token holder run any repository the server's user can read.
     */
    readonly allowLocalSources: boolean;
  };
  readonly eventsMaxLen: number;
  readonly sseHeartbeatMs: number;
  /** Module exporting `createRunEngine(config): RunEngine`, resolved from `automation/`. */
  readonly engineModule: string;
  readonly kubeconfig?: string;
  /**
   * Whether the API server forwards each READY run's previews to localhost at their native ports
   * (`automation/previews/`). Worker processes never do: one process owns the ports.
   */
  readonly localPreviews: boolean;
  readonly logLevel: string;
  /**
   * Tracing of runs (`automation/tracing/`): the OTLP/HTTP endpoint spans are exported to (unset:
   * tracing is off and its SDK is never loaded), and the Jaeger UI a run's `traceUrl` points into.
   */
  readonly tracing: {
    readonly otlpEndpoint?: string;
    readonly jaegerUiUrl?: string;
  };
  /**
   * The instance key that seals run environment values in MongoDB (`runs/env-seal.ts`): the same on
   * every API and worker process of one instance. Read, or created in the file, at start-up.
   */
  readonly envKey: EnvKeySource;
  /** The default engine's settings (`engine/engine-config.ts`); another engine module may ignore them. */
  readonly engine: EngineConfig;
}

/** Thrown when the environment is invalid; the message names every wrong variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const OWNER = /^[A-Za-z0-9._-]{1,64}$/;
const DIGEST = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * Parses `owner=sha256:<hex>` entries, separated by commas or new lines; `#` starts a comment.
 * `where` names the variable or file in errors.
 */
export function parseTokenTable(text: string, where: string, into = new Map<string, string>()) {
  for (const raw of text.split(/[\n,]/)) {
    const entry = raw.replace(/#.*/, "").trim();
    if (!entry) continue;
    const [owner, digest, extra] = entry.split(/\s*=\s*|\s+/);
    const hex = DIGEST.exec((digest ?? "").toLowerCase())?.[1];
    if (!owner || !OWNER.test(owner) || !hex || extra !== undefined) {
      // Never echo the entry: it may be a plain token pasted by mistake.
      throw new ConfigError(`${where}: an entry is not "owner=sha256:<64 hex digits>"`);
    }
    into.set(hex, owner);
  }
  return into;
}

/**
 * Reads and validates the configuration from `env` (default: `process.env`): the one place the
 * service and its engine read their environment. `start()` takes the result, or calls this itself.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  const tokens = parseTokenTable(e.REPORUNNER_TOKENS, "REPORUNNER_TOKENS");
  if (e.REPORUNNER_TOKENS_FILE) {
    let text: string;
    try {
      text = readFileSync(e.REPORUNNER_TOKENS_FILE, "utf8");
    } catch (err) {
      throw new ConfigError(
        `REPORUNNER_TOKENS_FILE: cannot read ${e.REPORUNNER_TOKENS_FILE}: ${String(err)}`,
      );
    }
    parseTokenTable(text, "REPORUNNER_TOKENS_FILE", tokens);
  }
  if (e.REPORUNNER_DEFAULT_TTL_SECONDS > e.REPORUNNER_MAX_TTL_SECONDS) {
    throw new ConfigError("REPORUNNER_DEFAULT_TTL_SECONDS: must not exceed REPORUNNER_MAX_TTL_SECONDS");
  }
  let engine: EngineConfig;
  try {
    engine = engineConfigFrom(e, env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return {
    host: e.REPORUNNER_HOST,
    port: e.REPORUNNER_PORT,
    mongodbUrl: e.REPORUNNER_MONGODB_URL,
    redisUrl: e.REPORUNNER_REDIS_URL,
    tokens,
    workers: e.REPORUNNER_WORKERS,
    visibilityTimeoutMs: e.REPORUNNER_VISIBILITY_TIMEOUT_MS,
    maxAttempts: e.REPORUNNER_MAX_ATTEMPTS,
    shutdownGraceMs: e.REPORUNNER_SHUTDOWN_GRACE_MS,
    sweepIntervalMs: e.REPORUNNER_SWEEP_INTERVAL_MS,
    rateLimitPerMinute: e.REPORUNNER_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.REPORUNNER_BODY_LIMIT_BYTES,
    defaultTtlSeconds: e.REPORUNNER_DEFAULT_TTL_SECONDS,
    maxTtlSeconds: e.REPORUNNER_MAX_TTL_SECONDS,
    urlPolicy: {
      allowHttp: e.REPORUNNER_ALLOW_HTTP,
      allowedHosts: e.REPORUNNER_ALLOWED_HOSTS,
      allowPrivateTargets: e.REPORUNNER_ALLOW_PRIVATE_TARGETS,
      allowLocalSources: e.REPORUNNER_ALLOW_LOCAL_SOURCES,
    },
    eventsMaxLen: e.REPORUNNER_EVENTS_MAXLEN,
    sseHeartbeatMs: e.REPORUNNER_SSE_HEARTBEAT_MS,
    engineModule: e.REPORUNNER_ENGINE_MODULE,
    kubeconfig: e.REPORUNNER_KUBECONFIG,
    localPreviews: e.REPORUNNER_LOCAL_PREVIEWS,
    logLevel: e.REPORUNNER_LOG_LEVEL,
    tracing: {
      otlpEndpoint: e.REPORUNNER_OTLP_ENDPOINT || undefined,
      jaegerUiUrl: e.REPORUNNER_JAEGER_UI_URL?.replace(/\/+$/, "") || undefined,
    },
    envKey: {
      value: e.REPORUNNER_ENV_KEY,
      file: e.REPORUNNER_ENV_KEY_FILE ?? path.join(reporunnerHome(env), "env-key"),
    },
    engine,
  };
}
