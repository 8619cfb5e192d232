import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExpiringCredentials, ecrCredentials } from "../../../automation/registry/ecr-token";
import { EXPIRES_AT_ANNOTATION, REFRESHED_AT_ANNOTATION } from "../../../automation/registry/pull-secret";
import { PullSecretRefresher, type RefreshReport } from "../../../automation/registry/pull-secret-refresher";
import { KubernetesRunNamespaces } from "../../../automation/registry/run-namespaces";
import { runLabels } from "../../../components/labels";
import { buildAndLoadScript, imageReference } from "../../../components/run/image-commands";
import { RUN_PULL_SECRET } from "../../../components/run/pull-secret";
import { eventually, kubectl, useTestEnvironment } from "../support/testenv";
import { ManualClock, type StandInRegistry, startStandInRegistry } from "./support";

/**
 * ECR credentials for real: moto's GetAuthorizationToken (AWS SDK v3) gives the token, RepoRun's
 * build script pushes with it, the refresher writes it as a pull Secret into run namespaces of the
 * test cluster, and the node's containerd pulls with that Secret. moto has no registry behind its
 * ECR API: a `docker-registry` on loopback whose htpasswd holds the token's credentials stands in.
 */
let env: Record<string, string>;
let registry: StandInRegistry;
let credentials: () => Promise<ExpiringCredentials>;
let token: ExpiringCredentials;
let cluster: KubernetesRunNamespaces;
let image: string;
const namespaces: string[] = [];

const runId = () => `hy${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);

function createRunNamespace(id: string): string {
  const name = `run-${id}`;
  namespaces.push(name);
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: runLabels(id, "sandbox") },
    }),
  );
  return name;
}

function createPod(namespace: string, name: string, withSecret: boolean): void {
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace },
      spec: {
        ...(withSecret ? { imagePullSecrets: [{ name: RUN_PULL_SECRET }] } : {}),
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        containers: [
          {
            name: "app",
            image,
            imagePullPolicy: "Always",
            resources: { limits: { cpu: "100m", memory: "32Mi" } },
          },
        ],
      },
    }),
  );
}

const podState = (namespace: string, name: string) =>
  JSON.parse(kubectl(["get", "pod", "-n", namespace, name, "-o", "json"])) as {
    status: {
      phase: string;
      containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[];
    };
  };

function secretOf(namespace: string) {
  return JSON.parse(kubectl(["get", "secret", "-n", namespace, RUN_PULL_SECRET, "-o", "json"])) as {
    type: string;
    data: Record<string, string>;
    metadata: { annotations: Record<string, string> };
  };
}

beforeAll(async () => {
  env = useTestEnvironment();
  // The token first: the stand-in registry accepts exactly its credentials.
  token = await ecrCredentials()();
  registry = await startStandInRegistry(token);
  credentials = ecrCredentials({ server: registry.host });
  cluster = new KubernetesRunNamespaces(fs.readFileSync(env.KUBECONFIG, "utf8"), env.KUBE_CONTEXT);
});

afterAll(async () => {
  for (const ns of namespaces) kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  await registry?.stop();
  // The tag names a registry that is gone: drop it (the layers stay cached under the run's other tags).
  if (image) execFileSync("docker", ["rmi", image], { stdio: "ignore" });
});

describe("ECR credentials", () => {
  it("come from GetAuthorizationToken as user AWS with a token that opens the registry", async () => {
    const fresh = await credentials();
    expect(fresh.username).toBe("AWS");
    expect(fresh.server).toBe(registry.host);
    expect(await registry.status(fresh)).toBe(200);
    expect(await registry.status()).toBe(401);
    expect(await registry.status({ username: "AWS", password: "expired" })).toBe(401);
  });

  it("are taken to expire 12 hours after they were fetched when the reported expiry is in the past", async () => {
    // moto answers expiresAt 2015-01-01; ECR's tokens live 12 hours.
    const before = Date.now();
    const fresh = await credentials();
    const lifetime = fresh.expiresAt.getTime() - before;
    expect(lifetime).toBeGreaterThanOrEqual(12 * 3600_000 - 5_000);
    expect(lifetime).toBeLessThanOrEqual(12 * 3600_000 + 5_000);
  });
});

describe("a run image in the registry", () => {
  beforeAll(async () => {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-hybrid-image-"));
    const marker = `hybrid-${Date.now()}`;
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM busybox:latest\nCMD ["sh", "-c", "echo ${marker}; sleep 3600"]\n`,
    );
    image = imageReference("web", marker, registry.host);
    const script = buildAndLoadScript(
      {
        service: "web",
        contextDir: context,
        dockerfilePath: path.join(context, "Dockerfile"),
        args: {},
        imageRef: image,
      },
      { method: "registry", registry: registry.host },
      true,
    );
    const fresh = await credentials();
    execFileSync("bash", ["-c", script], {
      env: {
        ...process.env,
        REGISTRY_SERVER: fresh.server,
        REGISTRY_USERNAME: fresh.username,
        REGISTRY_PASSWORD: fresh.password,
      },
      stdio: "pipe",
    });
  });

  it("is pushed by RepoRun's build script, logged in with the token in a Docker config of its own", async () => {
    expect(await registry.catalog(await credentials())).toContain("reporunner/web");
    const userConfig = path.join(os.homedir(), ".docker", "config.json");
    if (fs.existsSync(userConfig)) expect(fs.readFileSync(userConfig, "utf8")).not.toContain(registry.host);
  });

  it("is pulled by a pod whose namespace has the pull secret built from the token", async () => {
    const namespace = createRunNamespace(runId());
    const report = await new PullSecretRefresher({ credentials, cluster }).refreshNow();
    expect(report.refreshed).toContain(namespace);
    const secret = secretOf(namespace);
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    const config = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString());
    expect(config.auths[registry.host].username).toBe("AWS");

    createPod(namespace, "with-secret", true);
    createPod(namespace, "without-secret", false);
    await eventually(
      "the pod with the pull secret to run",
      () => {
        const phase = podState(namespace, "with-secret").status.phase;
        return phase === "Running" || phase === "Succeeded" ? phase : undefined;
      },
      120_000,
    );
    expect(kubectl(["logs", "-n", namespace, "with-secret"])).toMatch(/hybrid-\d+/);
    const refused = await eventually(
      "the pod without it to fail its pull",
      () => {
        const waiting = podState(namespace, "without-secret").status.containerStatuses?.[0]?.state.waiting;
        return waiting && /ErrImagePull|ImagePullBackOff/.test(waiting.reason) ? waiting : undefined;
      },
      120_000,
    );
    expect(refused.message ?? "").toMatch(/401|unauthorized|authorization/i);
  });
});

describe("the pull secret refresher", () => {
  it("replaces the secret in every live run namespace before the token expires", async () => {
    const clock = new ManualClock(new Date());
    const timed = ecrCredentials({ server: registry.host, now: () => clock.now() });
    const reports: RefreshReport[] = [];
    const refresher = new PullSecretRefresher({
      credentials: timed,
      cluster,
      clock,
      refreshBeforeMs: 2 * 3600_000,
      onRound: (r) => reports.push(r),
    });
    const first = createRunNamespace(runId());
    const t0 = clock.now();
    refresher.start();
    try {
      await eventually(
        "the first round",
        () => (reports.length === 1 && clock.waiting === 1 ? true : undefined),
        30_000,
      );
      expect(reports[0].refreshed).toContain(first);
      expect(reports[0].expiresAt!.getTime()).toBe(t0.getTime() + 12 * 3600_000);
      expect(reports[0].nextAt.getTime()).toBe(t0.getTime() + 10 * 3600_000);
      expect(secretOf(first).metadata.annotations[REFRESHED_AT_ANNOTATION]).toBe(t0.toISOString());

      // A run that starts now; and a while later, nothing happens before the round is due.
      const second = createRunNamespace(runId());
      clock.advance(10 * 3600_000 - 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(reports).toHaveLength(1);

      clock.advance(60_000);
      await eventually(
        "the second round",
        () => (reports.length === 2 && clock.waiting === 1 ? true : undefined),
        30_000,
      );
      const t1 = new Date(t0.getTime() + 10 * 3600_000);
      expect(reports[1].at).toEqual(t1);
      expect(reports[1].at.getTime()).toBeLessThan(reports[0].expiresAt!.getTime());
      expect(reports[1].refreshed).toEqual(expect.arrayContaining([first, second]));
      expect(reports[1].failed).toEqual([]);
      for (const ns of [first, second]) {
        const annotations = secretOf(ns).metadata.annotations;
        expect(annotations[REFRESHED_AT_ANNOTATION]).toBe(t1.toISOString());
        expect(annotations[EXPIRES_AT_ANNOTATION]).toBe(new Date(t1.getTime() + 12 * 3600_000).toISOString());
      }
      // The replaced secret still pulls.
      createPod(second, "after-refresh", true);
      await eventually(
        "a pod to pull with the refreshed secret",
        () => {
          const phase = podState(second, "after-refresh").status.phase;
          return phase === "Running" || phase === "Succeeded" ? phase : undefined;
        },
        120_000,
      );
    } finally {
      await refresher.stop();
    }
  });
});
