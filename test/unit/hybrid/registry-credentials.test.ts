import type { V1Secret } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { credentialsFromToken, type ExpiringCredentials } from "../../../automation/registry/ecr-token";
import { EXPIRES_AT_ANNOTATION } from "../../../automation/registry/pull-secret";
import { type Clock, PullSecretRefresher } from "../../../automation/registry/pull-secret-refresher";
import type { RunNamespaceSecrets } from "../../../automation/registry/run-namespaces";
import { runStackConfig } from "../../../stacks/run-config";

const HOUR = 3600_000;
const token = (text: string) => Buffer.from(text).toString("base64");

describe("an ECR authorization token", () => {
  const fetchedAt = new Date("2026-03-01T10:00:00Z");

  it("decodes to user AWS and the password, for the registry of its proxy endpoint", () => {
    const c = credentialsFromToken(
      {
        authorizationToken: token("AWS:secret:with:colons"),
        expiresAt: new Date("2026-03-01T22:00:00Z"),
        proxyEndpoint: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      },
      fetchedAt,
    );
    expect(c).toEqual({
      server: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      username: "AWS",
      password: "secret:with:colons",
      expiresAt: new Date("2026-03-01T22:00:00Z"),
    });
  });

  it("is taken to live 12 hours when its reported expiry is past, missing or too far", () => {
    const twelveHours = new Date(fetchedAt.getTime() + 12 * HOUR);
    for (const expiresAt of [new Date("2015-01-01T00:00:00Z"), undefined, new Date("2026-03-05T00:00:00Z")]) {
      const c = credentialsFromToken(
        { authorizationToken: token("AWS:p"), expiresAt, proxyEndpoint: "https://r.example" },
        fetchedAt,
      );
      expect(c.expiresAt).toEqual(twelveHours);
    }
  });

  it("names another registry host when one is given, and refuses a token that is not user:password", () => {
    const c = credentialsFromToken(
      { authorizationToken: token("AWS:p"), proxyEndpoint: "https://x" },
      fetchedAt,
      "127.0.0.1:5001",
    );
    expect(c.server).toBe("127.0.0.1:5001");
    expect(() => credentialsFromToken({ authorizationToken: token("nocolon") }, fetchedAt, "r")).toThrow(
      /user:password/,
    );
  });
});

/** A cluster that records what was written, and can refuse one namespace. */
function fakeCluster(names: string[], refuse?: string): RunNamespaceSecrets & { written: V1Secret[] } {
  const written: V1Secret[] = [];
  return {
    written,
    listRunNamespaces: async () => names.map((name) => ({ name, runId: name.slice(4) })),
    putSecret: async (secret) => {
      if (secret.metadata!.namespace === refuse) throw new Error("namespaces is being terminated");
      written.push(secret);
    },
  };
}

const fixedClock = (at: Date): Clock => ({ now: () => at, sleep: async () => undefined });

describe("the pull secret refresher's round", () => {
  const at = new Date("2026-03-01T10:00:00Z");
  const credentials = async (): Promise<ExpiringCredentials> => ({
    server: "r.example",
    username: "AWS",
    password: "p",
    expiresAt: new Date(at.getTime() + 12 * HOUR),
  });

  it("writes the Secret into every run namespace and plans the next round before expiry", async () => {
    const cluster = fakeCluster(["run-aaaaaaaa", "run-bbbbbbbb"]);
    const report = await new PullSecretRefresher({
      credentials,
      cluster,
      clock: fixedClock(at),
    }).refreshNow();
    expect(report.refreshed).toEqual(["run-aaaaaaaa", "run-bbbbbbbb"]);
    expect(report.nextAt).toEqual(new Date(at.getTime() + 10 * HOUR));
    expect(cluster.written.map((s) => [s.metadata!.namespace, s.metadata!.name, s.type])).toEqual([
      ["run-aaaaaaaa", "registry-pull", "kubernetes.io/dockerconfigjson"],
      ["run-bbbbbbbb", "registry-pull", "kubernetes.io/dockerconfigjson"],
    ]);
    expect(cluster.written[0].metadata!.labels!["reporunner.dev/run-id"]).toBe("aaaaaaaa");
    expect(cluster.written[0].metadata!.annotations![EXPIRES_AT_ANNOTATION]).toBe("2026-03-01T22:00:00.000Z");
  });

  it("still serves the other namespaces when one refuses, and retries soon", async () => {
    const cluster = fakeCluster(["run-aaaaaaaa", "run-bbbbbbbb"], "run-aaaaaaaa");
    const report = await new PullSecretRefresher({
      credentials,
      cluster,
      clock: fixedClock(at),
      retryMs: 60_000,
    }).refreshNow();
    expect(report.refreshed).toEqual(["run-bbbbbbbb"]);
    expect(report.failed).toEqual([{ namespace: "run-aaaaaaaa", error: "namespaces is being terminated" }]);
    expect(report.nextAt).toEqual(new Date(at.getTime() + 60_000));
  });

  it("retries after a minute when no credentials can be had", async () => {
    const report = await new PullSecretRefresher({
      credentials: async () => {
        throw new Error("ExpiredToken: the SSO session has expired");
      },
      cluster: fakeCluster(["run-aaaaaaaa"]),
      clock: fixedClock(at),
    }).refreshNow();
    expect(report.error).toMatch(/SSO session/);
    expect(report.nextAt).toEqual(new Date(at.getTime() + 60_000));
  });
});

describe("a run stack's registry credentials", () => {
  it("are written as one secret config value, and not at all without hybrid mode", () => {
    const run = {
      runId: "abcd1234",
      sourceDir: "/src",
      commitSha: "0123456789abcdef0123456789abcdef01234567",
      imageLoader: { method: "registry" as const, registry: "r.example" },
    };
    const hybrid = runStackConfig(run, {
      kubeconfig: "k",
      env: {},
      registryCredentials: { server: "r.example", username: "AWS", password: "p" },
    });
    expect(hybrid["reporunner:registryCredentials"]).toEqual({
      value: JSON.stringify({ server: "r.example", username: "AWS", password: "p" }),
      secret: true,
    });
    expect(
      runStackConfig(run, { kubeconfig: "k", env: {} })["reporunner:registryCredentials"],
    ).toBeUndefined();
  });
});
