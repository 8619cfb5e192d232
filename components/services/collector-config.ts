import { stringify } from "yaml";

/** The collector's health endpoint, probed by Kubernetes. */
export const COLLECTOR_HEALTH_PORT = 13133;

/**
 * The OpenTelemetry Collector configuration: OTLP in (gRPC and HTTP), memory-bounded and batched.
 * Traces go to Jaeger over OTLP when a Jaeger endpoint is given; metrics and logs (and traces while
 * Jaeger is switched off) go to the debug exporter, so no pipeline points at a missing backend.
 */
export function collectorConfig(jaegerOtlpEndpoint?: string): string {
  const traceExporter = jaegerOtlpEndpoint ? "otlp/jaeger" : "debug";
  const pipeline = (exporter: string) => ({
    receivers: ["otlp"],
    processors: ["memory_limiter", "batch"],
    exporters: [exporter],
  });
  return stringify({
    receivers: {
      otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } },
    },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
      batch: {},
    },
    exporters: {
      debug: { verbosity: "basic" },
      ...(jaegerOtlpEndpoint
        ? { "otlp/jaeger": { endpoint: jaegerOtlpEndpoint, tls: { insecure: true } } }
        : {}),
    },
    extensions: { health_check: { endpoint: `0.0.0.0:${COLLECTOR_HEALTH_PORT}` } },
    service: {
      extensions: ["health_check"],
      pipelines: { traces: pipeline(traceExporter), metrics: pipeline("debug"), logs: pipeline("debug") },
    },
  });
}
