import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { isReady, labelSelectorOf, pickPodPort } from "../../../automation/previews/service-pods";

const service: V1Service = {
  metadata: { name: "web" },
  spec: {
    selector: { "app.kubernetes.io/name": "web", "reporunner.dev/run-id": "k3x9a7b2qd" },
    ports: [
      { name: "http", port: 3000, targetPort: "http" },
      { name: "tls", port: 8443, targetPort: 9443 },
      { name: "plain", port: 5000 },
    ],
  },
};

function pod(name: string, state: { ready?: boolean; deleting?: boolean; phase?: string } = {}): V1Pod {
  return {
    metadata: { name, ...(state.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [{ name: "web", ports: [{ name: "http", containerPort: 8080 }] }] },
    status: {
      phase: state.phase ?? "Running",
      conditions: [{ type: "Ready", status: state.ready === false ? "False" : "True" }],
    },
  };
}

describe("labelSelectorOf", () => {
  it("turns the Service's selector into a label selector", () => {
    expect(labelSelectorOf(service)).toBe("app.kubernetes.io/name=web,reporunner.dev/run-id=k3x9a7b2qd");
  });

  it("refuses a Service without a selector: its endpoints are not pods it names", () => {
    expect(() => labelSelectorOf({ metadata: { name: "ext" }, spec: {} })).toThrow(/ext has no selector/);
  });
});

describe("pickPodPort", () => {
  it("picks a Ready pod and the container port a named target port stands for", () => {
    expect(pickPodPort(service, [pod("web-1")], 3000)).toEqual({ pod: "web-1", port: 8080 });
  });

  it("forwards to a numeric target port, or to the Service port when there is none", () => {
    expect(pickPodPort(service, [pod("web-1")], 8443)).toEqual({ pod: "web-1", port: 9443 });
    expect(pickPodPort(service, [pod("web-1")], 5000)).toEqual({ pod: "web-1", port: 5000 });
  });

  it("passes over pods that are not Ready, not running, or terminating (a restart's old pod)", () => {
    const pods = [
      pod("old", { deleting: true }),
      pod("starting", { ready: false }),
      pod("done", { phase: "Succeeded" }),
      pod("new"),
    ];
    expect(pickPodPort(service, pods, 3000, () => 0)).toEqual({ pod: "new", port: 8080 });
    expect(pods.map(isReady)).toEqual([false, false, false, true]);
  });

  it("spreads connections over the Ready pods with its pick", () => {
    const pods = [pod("web-1"), pod("web-2")];
    expect(pickPodPort(service, pods, 3000, (n) => n - 1).pod).toBe("web-2");
  });

  it("says so when no pod is Ready, or the Service has no such port", () => {
    expect(() => pickPodPort(service, [pod("web-1", { ready: false })], 3000)).toThrow(/no Ready pod/);
    expect(() => pickPodPort(service, [pod("web-1")], 1234)).toThrow(/web has no port 1234/);
  });
});
