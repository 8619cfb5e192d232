import pino from "pino";
import { KubernetesForwarder } from "../previews/pod-forwarder";
import { openPreviewListener } from "../previews/preview-listener";

/** The platform's OTLP/HTTP port on its collector's Service. */
const COLLECTOR_OTLP_HTTP_PORT = 4318;

/** Where a local Run API sends its traces, and where their pages are. */
export interface PlatformTelemetry {
  /** `http://127.0.0.1:<port>`: a local listener forwarded to the platform's collector. */
  readonly otlpEndpoint?: string;
  /** The platform's Jaeger UI (`http://localhost:30082`). */
  readonly jaegerUiUrl?: string;
  readonly release: () => Promise<void>;
}

/**
 * The default tracing of a local instance: when the platform runs the OpenTelemetry Collector, the
 * Run API on this machine exports to it through a local listener forwarded into the cluster (the
 * collector has no host port; its OTLP goes on to Jaeger), and run traces link to the platform's
 * Jaeger UI. A platform without a collector leaves tracing off.
 */
export async function platformTelemetry(
  kubeconfigPath: string,
  outputs: { infraNamespace: string; endpoints?: unknown; jaegerUiUrl?: string },
): Promise<PlatformTelemetry> {
  const endpoints = (outputs.endpoints ?? {}) as { otlpHttp?: string };
  const jaegerUiUrl = outputs.jaegerUiUrl || undefined;
  if (!endpoints.otlpHttp) return { jaegerUiUrl, release: async () => undefined };
  const listener = await openPreviewListener(
    {
      key: "platform/otel-collector",
      runId: "platform",
      name: "otel-collector",
      namespace: outputs.infraNamespace,
      service: "otel-collector",
      port: COLLECTOR_OTLP_HTTP_PORT,
    },
    new KubernetesForwarder(kubeconfigPath),
    pino({ level: "warn" }),
  );
  return {
    otlpEndpoint: `http://127.0.0.1:${listener.port}`,
    jaegerUiUrl,
    release: () => listener.close(),
  };
}

/**
 * The tracing variables of a local Run API: the platform's, unless the user set their own
 * (`REPORUNNER_OTLP_ENDPOINT=` empty turns tracing off).
 */
export function telemetryEnvironment(
  telemetry: Pick<PlatformTelemetry, "otlpEndpoint" | "jaegerUiUrl">,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const vars: Record<string, string> = {};
  if (telemetry.otlpEndpoint && env.REPORUNNER_OTLP_ENDPOINT === undefined)
    vars.REPORUNNER_OTLP_ENDPOINT = telemetry.otlpEndpoint;
  if (telemetry.jaegerUiUrl && env.REPORUNNER_JAEGER_UI_URL === undefined)
    vars.REPORUNNER_JAEGER_UI_URL = telemetry.jaegerUiUrl;
  return vars;
}
