/**
 * Turns tracing on for this process: the OpenTelemetry SDK, loaded only when an OTLP endpoint is
 * configured (it costs about 0.2 s and a few MB to load, which a process with tracing off never pays),
 * registered as the global provider behind `spans.ts`, with async-local context so that a span
 * started in a job is the parent of whatever the job awaits, and of its log lines.
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { useApi } from "./spans";

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://127.0.0.1:4318`); spans go to `<endpoint>/v1/traces`. Unset: off. */
  readonly endpoint?: string;
  /** `service.name` of this process's spans (`reporunner-api`, `reporunner-worker`). */
  readonly serviceName: string;
  /** An exporter instead of OTLP (tests: the SDK's in-memory exporter), exported span by span. */
  readonly exporter?: SpanExporter;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and unregisters the SDK. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };

/** Registers the SDK when `endpoint` (or `exporter`) is given; otherwise returns at once, loading nothing. */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.endpoint && !options.exporter) return OFF;
  const [api, sdk, asyncHooks, resources, semconv] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
  ]);
  let processor;
  if (options.exporter) {
    processor = new sdk.SimpleSpanProcessor({ exporter: options.exporter });
  } else {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
    const url = `${options.endpoint!.replace(/\/+$/, "")}/v1/traces`;
    // A run's spans end within seconds of each other; one export a second keeps requests few.
    processor = new sdk.BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url, timeoutMillis: 5_000 }),
      scheduledDelayMillis: 1_000,
    });
  }
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  const contextManager = new asyncHooks.AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.trace.setGlobalTracerProvider(provider);
  useApi(api);
  let shut: Promise<void> | undefined;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: () =>
      (shut ??= (async () => {
        useApi(undefined);
        await provider.shutdown().catch(() => undefined);
        api.trace.disable();
        api.context.disable();
      })()),
  };
}
