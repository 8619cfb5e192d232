/**
 * The API server: `start()` builds the runtime and listens; `stop()` stops accepting requests, stops
 * the in-process workers and closes connections.
 *
 * Shutdown (SIGTERM/SIGINT): the listener closes at once and idle connections are dropped; worker
 * loops stop taking jobs and get `REPORUNNER_SHUTDOWN_GRACE_MS` to finish the jobs in hand; a job
 * still running after that is aborted and handed back to the queue, marked idle, so another worker
 * claims it at once, clears the stack lock and resumes it. Open event streams are closed last.
 *
 * Local previews (`REPORUNNER_LOCAL_PREVIEWS`) run here and not in `npm run worker` processes: the
 * ports belong to the process the user started, and a Redis lock keeps a second server from taking them.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream } from "pino";
import { createApp } from "./app";
import { Sessions } from "./api/sessions";
import { loadConfig, type Config } from "./config";
import { redisCall } from "./dependencies";
import { loadEngine } from "./engine-loader";
import type { RunEngine } from "./engine/run-engine";
import { createLogger } from "./logs";
import { LocalPreviews } from "./previews/local-previews";
import { KubernetesForwarder, type PreviewForwarder } from "./previews/pod-forwarder";
import { redisPortOwnership } from "./previews/port-ownership";
import { createRuntime, type Runtime } from "./runtime";
import { startTracing } from "./tracing/tracing";
import type { Resolver } from "./runs/url-policy";
import { KubectlLogs, type WorkloadLogs } from "./runs/workload-logs";

/** What `start` may be given instead of building it from the environment. */
export interface StartOptions {
  /**
   * The configuration, already read (`loadConfig(env)`): the server and its engine read nothing else.
   * Unset: `start` reads it from `process.env`.
   */
  readonly config?: Config;
  readonly engine?: RunEngine;
  readonly logs?: WorkloadLogs;
  readonly resolver?: Resolver;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logDestination?: DestinationStream;
  /** Worker tuning for tests. */
  readonly workerOptions?: { pollMs?: number; blockMs?: number };
  readonly ssePollMs?: number;
  /**
   * Local previews for tests: a forwarder that needs no cluster, a shorter period; `false` leaves
   * them off whatever `config.localPreviews` says.
   */
  readonly localPreviews?: false | { forwarder?: PreviewForwarder; intervalMs?: number };
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly runtime: Runtime;
  /** Dashboard sign-in: `issueCode(owner)` makes the one-time code of a sign-in link. */
  readonly sessions: Sessions;
  stop(): Promise<void>;
}

/** Starts the API (and `config.workers` worker loops) on `config.host:config.port`. */
export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  // Off (no endpoint): nothing of the SDK is loaded, and log lines get no mixin.
  const tracing = await startTracing({
    endpoint: config.tracing.otlpEndpoint,
    serviceName: "reporunner-api",
  });
  const logger = createLogger(config.logLevel, options.logDestination, tracing.enabled);
  const engine = options.engine ?? (await loadEngine(config, logger));
  const runtime = await createRuntime(config, logger, engine, { resolver: options.resolver });
  const sessions = new Sessions(runtime.redis);
  const app = createApp({
    sessions,
    logger,
    service: runtime.service,
    store: runtime.store,
    events: runtime.events,
    logs: options.logs ?? new KubectlLogs(config.kubeconfig),
    redis: runtime.redis,
    tokens: config.tokens,
    readiness: [
      ["mongodb", () => runtime.store.ping()],
      ["redis", async () => void (await redisCall(() => runtime.redis.ping()))],
      ["engine", () => engine.ping()],
    ],
    rateLimitPerMinute: config.rateLimitPerMinute,
    bodyLimitBytes: config.bodyLimitBytes,
    sseHeartbeatMs: config.sseHeartbeatMs,
    ssePollMs: options.ssePollMs,
    contract: { urlPolicy: config.urlPolicy, maxTtlSeconds: config.maxTtlSeconds },
    jaegerUiUrl: config.tracing.jaegerUiUrl,
  });
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (err) {
    await runtime.close();
    await tracing.shutdown();
    throw err;
  }
  // Workers start once the port is ours: a second instance that cannot listen takes no jobs.
  const stopWorkers = runtime.startWorkers(config.workers, options.workerOptions);
  const previews = localPreviews(config, options, runtime, logger);
  previews?.start();
  server.requestTimeout = 0; // SSE streams are long-lived; the header timeout still applies
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: config.host, port, workers: config.workers }, "reporunner API listening");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.all([stopWorkers(), previews?.stop()]);
      server.closeAllConnections();
      await closed;
      await runtime.close();
      // The last spans (the jobs handed back) leave before the process does.
      await tracing.shutdown();
      logger.info("reporunner API stopped");
    })());
  return { url: `http://${config.host}:${port}`, port, runtime, sessions, stop };
}

/** Local previews as configured, or undefined when they are off. */
function localPreviews(
  config: Config,
  options: StartOptions,
  runtime: Runtime,
  logger: Runtime["logger"],
): LocalPreviews | undefined {
  if (!config.localPreviews || options.localPreviews === false) return undefined;
  // The lock outlives a few missed passes; a dead server's ports are taken over within its TTL.
  return new LocalPreviews({
    store: runtime.store,
    forwarder: options.localPreviews?.forwarder ?? new KubernetesForwarder(config.kubeconfig),
    ownership: redisPortOwnership(runtime.redis, 10_000),
    logger,
    intervalMs: options.localPreviews?.intervalMs,
  });
}

/** `npm run api`: the API alone, configured from the environment; stops on SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  let running: RunningServer;
  try {
    running = await start();
  } catch (err) {
    process.stderr.write(`reporunner: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    running.runtime.logger.info({ signal }, "shutting down");
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

if (require.main === module) void serve();
