import { stringify } from "yaml";
import type { ProfileName } from "./profile";

/** Jaeger's ports: OTLP in (gRPC, HTTP), the UI and query API (HTTP), the query API (gRPC). */
export const JAEGER_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, ui: 16686, queryGrpc: 16685 } as const;

/**
 * How many traces the in-memory store keeps (the oldest go first). This is what bounds Jaeger's memory:
 * a run's trace is a few dozen spans (~20–40 KB held), so about 200 MB in dev and 1 GB in prod, half
 * of each profile's limit. Upstream's all-in-one default (100 000) would outgrow the dev pod.
 */
export const JAEGER_MAX_TRACES: Record<ProfileName, number> = { dev: 10_000, prod: 50_000 };

/**
 * Jaeger v2's configuration (an OpenTelemetry Collector config with Jaeger's extensions): OTLP in,
 * batched into in-memory storage, and the query service with the UI. Given explicitly rather than left
 * to the binary's built-in all-in-one config, which listens on localhost unless the image sets
 * JAEGER_LISTEN_HOST, keeps 100 000 traces, and opens ports nothing here uses (Jaeger Thrift, Zipkin,
 * remote sampling, zPages), and traces the query service into its own store.
 */
export function jaegerConfig(maxTraces: number): string {
  const any = (port: number) => ({ endpoint: `0.0.0.0:${port}` });
  return stringify({
    receivers: {
      otlp: { protocols: { grpc: any(JAEGER_PORTS.otlpGrpc), http: any(JAEGER_PORTS.otlpHttp) } },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
      jaeger_query: {
        storage: { traces: "memstore" },
        http: any(JAEGER_PORTS.ui),
        grpc: any(JAEGER_PORTS.queryGrpc),
        // On by default in v2: every query (each UI page) would be stored as a trace of its own, evicting runs.
        enable_tracing: false,
      },
    },
    service: {
      extensions: ["jaeger_storage", "jaeger_query"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
      },
      telemetry: { resource: { "service.name": "jaeger" } },
    },
  });
}
