import { describe, expect, it } from "vitest";
import { platformTelemetry, telemetryEnvironment } from "../../../automation/local/platform-telemetry";

describe("a local instance's tracing defaults", () => {
  it("exports to the platform's collector and links to its Jaeger UI, unless the user set their own", () => {
    const platform = { otlpEndpoint: "http://127.0.0.1:4318", jaegerUiUrl: "http://localhost:30082" };
    expect(telemetryEnvironment(platform, {})).toEqual({
      REPORUNNER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      REPORUNNER_JAEGER_UI_URL: "http://localhost:30082",
    });
    // An empty endpoint is the user's "off".
    expect(telemetryEnvironment(platform, { REPORUNNER_OTLP_ENDPOINT: "" })).toEqual({
      REPORUNNER_JAEGER_UI_URL: "http://localhost:30082",
    });
  });

  it("leaves tracing off on a platform without a collector, and forwards nothing", async () => {
    const telemetry = await platformTelemetry("/nonexistent/kubeconfig", {
      infraNamespace: "infra",
      endpoints: { redis: "redis://x" },
      jaegerUiUrl: "http://localhost:30082",
    });
    expect(telemetry.otlpEndpoint).toBeUndefined();
    expect(telemetry.jaegerUiUrl).toBe("http://localhost:30082");
    expect(telemetryEnvironment(telemetry, {})).toEqual({
      REPORUNNER_JAEGER_UI_URL: "http://localhost:30082",
    });
  });
});
