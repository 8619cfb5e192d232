import { afterAll, describe, expect, it } from "vitest";
import { translateSource } from "../../../components/run/translate-source";
import { fixture, warningAt } from "./fixtures";
import { removeTempDirs, tempDir } from "./temp-repo";

afterAll(removeTempDirs);

const lone = (options: { previewPort?: number } = {}) =>
  translateSource(fixture("detect-dockerfile-only"), { runId: "abc12345", mode: "auto", ...options });

describe("the preview port of a lone Dockerfile that EXPOSEs none", () => {
  it("has no preview, and the warning says how to name the port", () => {
    const { published, warnings } = lone();
    expect(published).toEqual([]);
    expect(warningAt(warnings, "Dockerfile")).toContain("previewPort, reporunner run --port");
  });

  it("publishes the named port as the app's HTTP preview", () => {
    const { published, warnings, manifests } = lone({ previewPort: 3000 });
    expect(published).toEqual([
      { service: "app", serviceName: "app", port: 3000, protocol: "TCP", published: "3000", preview: "http" },
    ]);
    expect(warnings.find((warning) => warning.path === "Dockerfile")).toBeUndefined();
    const app = manifests.find((m) => m.kind === "Deployment") as any;
    expect(app.spec.template.spec.containers[0].ports).toEqual([
      { name: "tcp-3000", containerPort: 3000, protocol: "TCP" },
    ]);
  });

  it("adds the named port to what the Dockerfile EXPOSEs, once", () => {
    const repo = tempDir({ Dockerfile: "FROM nginx:1.27\nEXPOSE 80\n" });
    const ports = (previewPort: number) =>
      translateSource(repo, { runId: "abc12345", mode: "auto", previewPort }).published.map((p) => p.port);
    expect(ports(8080)).toEqual([8080, 80]);
    expect(ports(80)).toEqual([80]);
  });

  it("is ignored, with a warning, for a compose file, which publishes its own ports", () => {
    const { warnings } = translateSource(fixture("basic-image"), {
      runId: "abc12345",
      mode: "auto",
      previewPort: 3000,
    });
    expect(warningAt(warnings, "previewPort")).toBe(
      "3000 is ignored: compose.yaml publishes its own ports (ports: on a service)",
    );
  });
});
