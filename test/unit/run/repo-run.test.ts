import * as path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  allCreated,
  findCreated,
  resetCreated,
  resolveOutput,
  secretInput,
  settle,
  setupMocks,
} from "../mocks";

let RepoRun: typeof import("../../../components/run/repo-run").RepoRun;
let provider: import("@pulumi/kubernetes").Provider;

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "repos");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

beforeAll(async () => {
  await setupMocks();
  ({ RepoRun } = await import("../../../components/run/repo-run"));
  const k8s = await import("@pulumi/kubernetes");
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

const runOf = (fixture: string, extra: Record<string, unknown> = {}) =>
  new RepoRun("run-abc12345", {
    runId: "abc12345",
    sourceDir: path.join(FIXTURES, fixture),
    commitSha: COMMIT,
    provider,
    imageLoader: { method: "containerd-import", containerdAddress: "/run/containerd/containerd.sock" },
    ...extra,
  });

describe("RepoRun of a Dockerfile repository", () => {
  it("builds the image under a content-hash tag and loads it into containerd before anything runs", async () => {
    const run = runOf("hello-dockerfile");
    await settle();
    const build = findCreated("command:local:Command", "run-abc12345-image-app").inputs;
    const images = await resolveOutput(run.images);
    expect(images.app).toMatch(/^reporunner\/app:[0-9a-f]{16}$/);
    expect(build.create).toContain(`docker image inspect ${images.app}`);
    expect(build.create).toContain(
      `docker build --tag ${images.app} --file ${path.join(FIXTURES, "hello-dockerfile", "Dockerfile")}`,
    );
    expect(build.create).toContain("ctr --address /run/containerd/containerd.sock -n k8s.io images import -");
    expect(build.triggers).toEqual([images.app]);
    const deployment = findCreated("kubernetes:apps/v1:Deployment", "run-abc12345-deployment-app").inputs;
    expect(deployment.spec.template.spec.containers[0].image).toBe(images.app);
  });

  it("gives the same tag to the same content, so a second run skips the build", async () => {
    const first = await resolveOutput(runOf("hello-dockerfile").images);
    resetCreated();
    const second = await resolveOutput(runOf("hello-dockerfile").images);
    expect(second.app).toBe(first.app);
  });

  it("publishes the EXPOSEd port as a NodePort preview and labels the pods the preview reaches", async () => {
    const run = runOf("hello-dockerfile", { previewHost: "127.0.0.1" });
    await settle();
    const preview = findCreated("kubernetes:core/v1:Service", "run-abc12345-service-app-preview").inputs;
    expect(preview.spec.type).toBe("NodePort");
    // The app's own port (local forwarding, NodePort URL) and the gateway's fixed port.
    expect(preview.spec.ports).toEqual([
      { name: "preview", port: 8080, targetPort: 8080, protocol: "TCP" },
      { name: "gateway", port: 80, targetPort: 8080, protocol: "TCP" },
    ]);
    const deployment = findCreated("kubernetes:apps/v1:Deployment", "run-abc12345-deployment-app").inputs;
    expect(deployment.spec.template.metadata.labels["reporunner.dev/preview"]).toBe("true");
    // The mocks echo inputs: no nodePort was assigned, so the URL shows what the cluster would fill in.
    expect(Object.keys(await resolveOutput(run.previewUrls))).toEqual(["app"]);
    expect(await resolveOutput(run.previewTargets)).toEqual({
      app: { service: "app-preview", port: 8080, localPort: 8080, protocol: "http" },
    });
  });

  it("does not wait for a Service's endpoints: the Deployments' rollout and the previews say when a run is ready", async () => {
    runOf("hello-dockerfile");
    await settle();
    const preview = findCreated("kubernetes:core/v1:Service", "run-abc12345-service-app-preview").inputs;
    expect(preview.metadata.annotations["pulumi.com/skipAwait"]).toBe("true");
    const deployment = findCreated("kubernetes:apps/v1:Deployment", "run-abc12345-deployment-app").inputs;
    expect(deployment.metadata.annotations?.["pulumi.com/skipAwait"]).toBeUndefined();
  });

  it("names the previews that are TCP endpoints, which the engine checks by a connection, not a request", async () => {
    const run = runOf("tcp-preview");
    expect(Object.keys(await resolveOutput(run.previewUrls)).sort()).toEqual(["store", "web"]);
    expect(await resolveOutput(run.tcpPreviews)).toEqual(["store"]);
  });

  it("gives a TCP preview a tcp:// URL, since it is no page to open", async () => {
    const run = runOf("tcp-preview", { previewHost: "127.0.0.1" });
    const urls = await resolveOutput(run.previewUrls);
    expect(urls.store).toMatch(/^tcp:\/\/127\.0\.0\.1:/);
    expect(urls.web).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect((await resolveOutput(run.previewTargets)).store.protocol).toBe("tcp");
  });

  it("puts the previews under the platform's gateway when it has one", async () => {
    const run = runOf("hello-dockerfile", { previewBaseUrl: "http://localhost:30080/" });
    expect(await resolveOutput(run.previewUrls)).toEqual({ app: "http://localhost:30080/run-abc12345/app/" });
  });

  it("behind the gateway, gives a TCP preview no URL (the gateway's are HTTP paths) but keeps its target", async () => {
    const run = runOf("tcp-preview", { previewBaseUrl: "http://localhost:30080/" });
    expect(await resolveOutput(run.previewUrls)).toEqual({ web: "http://localhost:30080/run-abc12345/web/" });
    expect(await resolveOutput(run.previewTargets)).toEqual({
      store: { service: "store-preview", port: 6379, localPort: 6379, protocol: "tcp" },
      web: { service: "web-preview", port: 8080, localPort: 8080, protocol: "http" },
    });
    expect(await resolveOutput(run.tcpPreviews)).toEqual(["store"]);
  });

  it("reports the pinned commit and the run's namespace", async () => {
    const run = runOf("hello-dockerfile");
    expect(await resolveOutput(run.commitSha)).toBe(COMMIT);
    expect(await resolveOutput(run.namespace)).toBe("run-abc12345");
  });
});

describe("RepoRun's sandbox", () => {
  it("makes namespace run-<id> carrying the run's labels and Pod Security admission", async () => {
    runOf("three-tier");
    await settle();
    const ns = findCreated("kubernetes:core/v1:Namespace", "run-abc12345-namespace").inputs;
    expect(ns.metadata.name).toBe("run-abc12345");
    expect(ns.metadata.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "reporunner",
      "reporunner.dev/run-id": "abc12345",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it("falls back to baseline with a warning, and says which capabilities the containers keep, when a container may run as root", async () => {
    const run = runOf("hello-dockerfile");
    await settle();
    const ns = findCreated("kubernetes:core/v1:Namespace", "run-abc12345-namespace").inputs;
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
    const warnings = (await resolveOutput(run.warnings)).join("\n");
    expect(warnings).toMatch(/Pod Security is baseline, not restricted/);
    expect(warnings).toContain("keep Docker's default capabilities except NET_RAW");
  });

  it("bounds the namespace with a quota and default container limits", async () => {
    runOf("three-tier", { quota: { limitsMemory: "2Gi" } });
    await settle();
    const quota = findCreated("kubernetes:core/v1:ResourceQuota", "run-abc12345-quota").inputs;
    expect(quota.spec.hard).toMatchObject({ "limits.memory": "2Gi", "requests.cpu": "2", pods: "20" });
    const limits = findCreated("kubernetes:core/v1:LimitRange", "run-abc12345-limits").inputs;
    expect(limits.spec.limits[0]).toMatchObject({
      type: "Container",
      default: { cpu: "500m", memory: "512Mi" },
    });
  });

  it("denies all traffic by default and allows only the namespace, DNS and the preview", async () => {
    runOf("three-tier");
    await settle();
    const policies = allCreated("kubernetes:networking.k8s.io/v1:NetworkPolicy").map(
      (p) => p.inputs.metadata.name,
    );
    expect(policies.sort()).toEqual(["allow-dns", "allow-preview", "allow-same-namespace", "default-deny"]);
    const deny = findCreated(
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "run-abc12345-netpol-default-deny",
    ).inputs;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("gives workloads a service account with no token and no role", async () => {
    runOf("three-tier");
    await settle();
    expect(
      findCreated("kubernetes:core/v1:ServiceAccount", "run-abc12345-service-account").inputs,
    ).toMatchObject({
      automountServiceAccountToken: false,
    });
    expect(allCreated().some((r) => /Role/.test(r.type))).toBe(false);
  });

  it("keeps the run's environment in a Secret that every app container reads", async () => {
    runOf("three-tier", { env: { API_KEY: "s3cr3t" } });
    await settle();
    const secret = findCreated("kubernetes:core/v1:Secret", "run-abc12345-env").inputs;
    expect(secretInput(secret.stringData)).toEqual({ API_KEY: "s3cr3t" });
    for (const service of ["web", "api", "store"]) {
      const container = findCreated("kubernetes:apps/v1:Deployment", `run-abc12345-deployment-${service}`)
        .inputs.spec.template.spec.containers[0];
      expect(container.envFrom).toContainEqual({ secretRef: { name: "run-env" } });
      expect(JSON.stringify(container)).not.toContain("s3cr3t");
    }
  });
});

describe("RepoRun of a compose repository", () => {
  it("builds one image per service and creates a Deployment and a Service for each", async () => {
    const run = runOf("three-tier");
    await settle();
    expect(Object.keys(await resolveOutput(run.images)).sort()).toEqual(["api", "store", "web"]);
    for (const service of ["web", "api", "store"]) {
      findCreated("command:local:Command", `run-abc12345-image-${service}`);
      findCreated("kubernetes:apps/v1:Deployment", `run-abc12345-deployment-${service}`);
      findCreated("kubernetes:core/v1:Service", `run-abc12345-service-${service}`);
    }
    expect(Object.keys(await resolveOutput(run.previewUrls))).toEqual(["web"]);
  });

  it("refuses a hostile compose file with the translator's reason, naming the key", async () => {
    const hostile = path.join(__dirname, "..", "..", "fixtures", "compose", "hostile-privileged");
    expect(
      () =>
        new RepoRun("run-bad12345", {
          runId: "bad12345",
          sourceDir: hostile,
          commitSha: COMMIT,
          provider,
          imageLoader: { method: "none" },
        }),
    ).toThrow(/privileged/);
  });

  it("refuses a run id that cannot name a namespace", () => {
    expect(() => runOf("three-tier", { runId: "Bad_Id" })).toThrow(/runId must match/);
  });
});

describe("RepoRun's database migrations", () => {
  it("runs a detected Prisma migration as a Job in the app's image, with the app's environment", async () => {
    const run = runOf("prisma-app");
    await settle();
    const images = await resolveOutput(run.images);
    const job = findCreated("kubernetes:batch/v1:Job", "run-abc12345-job-app-migrate-prisma").inputs;
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe(images.app);
    expect(container.command).toEqual(["sh", "-c", "exec npx prisma migrate deploy"]);
    expect(container.envFrom).toContainEqual({ secretRef: { name: "run-env" } });
    expect(container.readinessProbe).toBeUndefined();
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect((await resolveOutput(run.warnings)).join("\n")).toMatch(
      /prisma migrations found .*Job app-migrate-prisma/,
    );
  });
});
