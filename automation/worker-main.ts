/**
 * `npm run worker`: worker loops (and the maintenance timer) without the HTTP server, for scaling
 * workers apart from the API. Same configuration as the server; `REPORUNNER_WORKERS` loops (at least 1).
 * SIGTERM/SIGINT: finish or hand back the jobs in hand (see server.ts), then exit.
 */
import { loadConfig } from "./config";
import { loadEngine } from "./engine-loader";
import { createLogger } from "./logs";
import { createRuntime } from "./runtime";
import { startTracing } from "./tracing/tracing";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`reporunner-worker: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const tracing = await startTracing({
    endpoint: config.tracing.otlpEndpoint,
    serviceName: "reporunner-worker",
  });
  const logger = createLogger(config.logLevel, undefined, tracing.enabled).child({ role: "worker" });
  const engine = await loadEngine(config, logger);
  const runtime = await createRuntime(config, logger, engine);
  runtime.startWorkers(Math.max(1, config.workers));
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    runtime
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

void main();
