import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNamespaceBlockers } from "../../automation/engine/namespace-blockers";
import { watchRollout } from "../../automation/engine/rollout-watch";
import type { WorkloadFailure } from "../../automation/engine/workload-failures";
import { bodyOf, eventually, FIXTURES, kubectl, PROJECT_DIR, useTestEnvironment } from "./support/testenv";

/**
 * The official Kubernetes provider (pulumi-resource-kubernetes, built by builtin-cluster/build/15-*) under the
 * real engine on the built-in cluster: an inline program deploys a namespace, a ConfigMap, a Secret, a Job, a
 * Deployment of a locally built image and a NodePort Service; updates them; refreshes; destroys. The failures
 * the provider would only time out on (a missing image, an exceeded ResourceQuota, a PodSecurity violation, a
 * crash loop, a failed Job) fail within seconds, named, through the engine's rollout watch.
 */
const suffix = Date.now().toString(36);
const namespace = `kp-${suffix}`;
const restrictedNamespace = `kp-${suffix}-restricted`;
const image = `reporunner-test/hello:kp-${suffix}`;
const missingImage = `reporunner-test/does-not-exist:${suffix}`;

/** What the program deploys; each test changes it and runs `up` again. */
const settings = {
  greeting: "hello",
  replicas: 1,
  broken: false,
  greedy: false,
  restricted: false,
  crashing: false,
  failingJob: false,
  /** customTimeouts.delete of the namespace (to see a stuck namespace fail in a test's time). */
  namespaceDeleteTimeout: undefined as string | undefined,
};

let stack: Stack;
let destroyed = false;
const events: EngineEvent[] = [];
const labels = { app: "hello" };

function program(env: Record<string, string>) {
  return async () => {
    const provider = new k8s.Provider("testenv", { kubeconfig: env.KUBECONFIG, context: env.KUBE_CONTEXT });
    const opts = { provider };
    const ns = new k8s.core.v1.Namespace(
      "ns",
      { metadata: { name: namespace } },
      { ...opts, customTimeouts: { delete: settings.namespaceDeleteTimeout } },
    );
    const nsName = ns.metadata.name;
    const quota = new k8s.core.v1.ResourceQuota(
      "run-quota",
      {
        metadata: { name: "run-quota", namespace: nsName },
        spec: { hard: { "limits.memory": "1Gi", pods: "10" } },
      },
      opts,
    );
    const config = new k8s.core.v1.ConfigMap(
      "settings",
      { metadata: { namespace: nsName }, data: { GREETING: settings.greeting } },
      opts,
    );
    const secret = new k8s.core.v1.Secret(
      "credentials",
      { metadata: { namespace: nsName }, stringData: { PASSWORD: pulumi.secret("s3cret") } },
      opts,
    );
    const resources = { limits: { memory: "64Mi", cpu: "100m" }, requests: { memory: "16Mi", cpu: "10m" } };
    const migrate = new k8s.batch.v1.Job(
      "migrate",
      {
        metadata: { namespace: nsName },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: "Never",
              containers: [
                {
                  name: "migrate",
                  image,
                  imagePullPolicy: "Never",
                  command: ["sh", "-c", "echo migrated"],
                  resources,
                },
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [quota] },
    );
    const deployment = new k8s.apps.v1.Deployment(
      "hello",
      {
        metadata: { namespace: nsName },
        spec: {
          replicas: settings.replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: "hello",
                  image,
                  imagePullPolicy: "Never",
                  ports: [{ containerPort: 8080 }],
                  envFrom: [{ configMapRef: { name: config.metadata.name } }],
                  env: [
                    {
                      name: "PASSWORD",
                      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "PASSWORD" } },
                    },
                  ],
                  resources,
                },
              ],
            },
          },
        },
      },
      { ...opts, dependsOn: [migrate] },
    );
    const statefulSet = new k8s.apps.v1.StatefulSet(
      "store",
      {
        metadata: { namespace: nsName },
        spec: {
          serviceName: "store",
          selector: { matchLabels: { app: "store" } },
          template: {
            metadata: { labels: { app: "store" } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: "store", image, imagePullPolicy: "Never", resources }],
            },
          },
        },
      },
      { ...opts, dependsOn: [quota] },
    );
    const service = new k8s.core.v1.Service(
      "hello",
      {
        metadata: { namespace: nsName },
        spec: { type: "NodePort", selector: labels, ports: [{ port: 8080, targetPort: 8080 }] },
      },
      { ...opts, dependsOn: [deployment] },
    );
    const container = (name: string, img: string, limit: string) => ({
      name,
      image: img,
      imagePullPolicy: "Never",
      command: ["sleep", "3600"],
      resources: { limits: { memory: limit, cpu: "100m" } },
    });
    const failing = (name: string, ns: pulumi.Input<string>, spec: Record<string, unknown>) =>
      new k8s.apps.v1.Deployment(
        name,
        {
          metadata: { namespace: ns },
          spec: {
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { terminationGracePeriodSeconds: 1, ...spec } as k8s.types.input.core.v1.PodSpec,
            },
          },
        },
        { ...opts, dependsOn: [quota] },
      );
    if (settings.broken)
      failing("broken", nsName, { containers: [container("broken", missingImage, "32Mi")] });
    if (settings.greedy) failing("greedy", nsName, { containers: [container("greedy", image, "4Gi")] });
    if (settings.crashing) {
      failing("crashing", nsName, {
        containers: [
          {
            ...container("crashing", image, "32Mi"),
            command: ["sh", "-c", "echo starting up; echo 'fatal: cannot reach the database' >&2; exit 3"],
            // Without a probe the pod counts as Ready for the instant the shell runs, and a rollout
            // check that lands in that instant succeeds: a crashing app is never ready.
            readinessProbe: { exec: { command: ["false"] }, periodSeconds: 1 },
          },
        ],
      });
    }
    if (settings.failingJob) {
      new k8s.batch.v1.Job(
        "failing-migration",
        {
          metadata: { namespace: nsName },
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: "Never",
                containers: [
                  {
                    ...container("migrate", image, "32Mi"),
                    command: ["sh", "-c", "echo 'migration failed: relation users already exists'; exit 2"],
                  },
                ],
              },
            },
          },
        },
        { ...opts, dependsOn: [quota] },
      );
    }
    if (settings.restricted) {
      const restricted = new k8s.core.v1.Namespace(
        "restricted",
        {
          metadata: {
            name: restrictedNamespace,
            labels: { "pod-security.kubernetes.io/enforce": "restricted" },
          },
        },
        opts,
      );
      failing("privileged", restricted.metadata.name, {
        containers: [{ ...container("privileged", image, "32Mi"), securityContext: { privileged: true } }],
      });
    }
    return {
      nodePort: service.spec.ports[0].nodePort,
      configMapName: config.metadata.name,
      secretName: secret.metadata.name,
      secretData: secret.data,
      deploymentName: deployment.metadata.name,
      jobName: migrate.metadata.name,
      statefulSetName: statefulSet.metadata.name,
    };
  };
}

async function up() {
  const started = Date.now();
  const result = await stack.up({ onEvent: (e) => events.push(e) });
  return { result, seconds: (Date.now() - started) / 1000 };
}

/** Runs `up` expecting it to fail; returns the error's text and how long it took. */
async function failingUp(): Promise<{ message: string; seconds: number }> {
  const started = Date.now();
  const cancel = new AbortController();
  let cause: WorkloadFailure | undefined;
  const watches = [namespace, restrictedNamespace].map((ns) =>
    watchRollout({
      kubeconfig: readFileSync(environment.KUBECONFIG, "utf8"),
      kubeContext: environment.KUBE_CONTEXT,
      namespace: ns,
      onFailure: (failure) => {
        cause ??= failure;
        cancel.abort();
      },
    }),
  );
  try {
    await stack.up({ onEvent: (e) => events.push(e), signal: cancel.signal });
  } catch (error) {
    // As the engine does: when the provider gave up by itself (a failed Job), look once more for why.
    for (const watch of watches) cause ??= await watch.check();
    const message = cause?.reason ?? (error as Error).message;
    console.log(`[official-provider] up failed:\n${message.slice(0, 1500)}`);
    return { message, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const watch of watches) watch.stop();
  }
  throw new Error("up succeeded, but it should have failed");
}

/** Ready pods that are not on their way out (a rollout's old pods stay Ready while they terminate). */
const readyPods = () =>
  JSON.parse(kubectl(["get", "pods", "-n", namespace, "-l", "app=hello", "-o", "json"])).items.filter(
    (p: {
      metadata: { deletionTimestamp?: string };
      status: { conditions?: { type: string; status: string }[] };
    }) =>
      !p.metadata.deletionTimestamp &&
      p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );

let environment: Record<string, string>;
/** The executables of the pulumi-resource-kubernetes processes seen while the first up ran. */
const pluginBinaries = new Set<string>();

/** Adds the executable of every running pulumi-resource-kubernetes process to `into`. */
function samplePluginProcesses(into: Set<string>): void {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0")[0];
      if (path.basename(command) === "pulumi-resource-kubernetes") into.add(realpathSync(`/proc/${pid}/exe`));
    } catch {
      // The process ended while we looked.
    }
  }
}

/** `value` with every object marked secret (it holds `signature`) left out. */
function withoutSecretValues(value: unknown, signature: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutSecretValues(v, signature));
  if (!value || typeof value !== "object") return value;
  if (signature in value) return "[secret]";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecretValues(v, signature)]));
}

/** builtin-cluster/versions.env as a record: what the toolchain was built from. */
function versionsEnv(): Record<string, string> {
  const text = readFileSync(path.join(PROJECT_DIR, "builtin-cluster", "versions.env"), "utf8");
  return Object.fromEntries([...text.matchAll(/^([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

beforeAll(async () => {
  const env = (environment = useTestEnvironment());
  execFileSync("docker", ["build", "-q", "-t", image, path.join(FIXTURES, "repos", "hello-dockerfile")], {
    stdio: "pipe",
  });
  execFileSync(env.LOAD_IMAGE, [image], { stdio: "pipe" });
  stack = await LocalWorkspace.createOrSelectStack({
    stackName: `kp-${suffix}`,
    projectName: "reporunner-official-provider-test",
    program: program(env),
  });
});

afterAll(async () => {
  if (!stack) return;
  if (!destroyed) await stack.destroy().catch(() => undefined);
  await stack.workspace.removeStack(stack.name).catch(() => undefined);
});

describe("the official Kubernetes provider on the built-in cluster", () => {
  let outputs: Record<string, { value: unknown; secret: boolean }>;

  it("deploys a namespace, a ConfigMap, a Secret, a Job, a Deployment and a NodePort Service", async () => {
    const preview = await stack.preview();
    expect(preview.changeSummary.create).toBeGreaterThanOrEqual(9);
    const sampler = setInterval(() => samplePluginProcesses(pluginBinaries), 100);
    const { result, seconds } = await up().finally(() => clearInterval(sampler));
    console.log(
      `[official-provider] first up: ${seconds.toFixed(1)}s; plugin binaries: ${[...pluginBinaries]}`,
    );
    expect(result.summary.result).toBe("succeeded");
    outputs = result.outputs;

    const pods = readyPods();
    expect(pods).toHaveLength(1);
    const nodePort = outputs.nodePort.value as number;
    expect(nodePort).toBeGreaterThan(0);
    const body = await eventually("the NodePort to answer", () => bodyOf(`http://127.0.0.1:${nodePort}/`));
    expect(body.trim()).toBe("hello from reporunner");

    const job = JSON.parse(
      kubectl(["get", "job", "-n", namespace, String(outputs.jobName.value), "-o", "json"]),
    );
    expect(job.status.succeeded).toBe(1);
    expect(String(outputs.configMapName.value)).toMatch(/^settings-[0-9a-f]{8}$/);
    const sts = JSON.parse(
      kubectl(["get", "statefulset", "-n", namespace, String(outputs.statefulSetName.value), "-o", "json"]),
    );
    expect(sts.status.readyReplicas).toBe(1);
  });

  it("runs the official provider binary, reporting the version it was built as, and keeps Secret data secret", async () => {
    const state = await stack.exportStack();
    const resources = state.deployment.resources as { type: string; inputs?: any; outputs?: any }[];
    // Every Kubernetes plugin process the engine started during the first up was the official binary,
    // which carries the version it was built as.
    expect([...pluginBinaries]).toHaveLength(1);
    const [binary] = [...pluginBinaries];
    expect(binary).toMatch(/\/kubernetes-provider-[0-9a-f]{12}\/bin\/pulumi-resource-kubernetes$/);
    const contents = readFileSync(binary);
    expect(contents.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(contents.includes(versionsEnv().PULUMI_KUBERNETES_VERSION)).toBe(true);
    const providers = resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    // The provider resource records the version the SDK asked for: the pinned @pulumi/kubernetes.
    const packageJson = JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
    expect(providers.map((r) => r.inputs?.version)).toEqual([packageJson.dependencies["@pulumi/kubernetes"]]);
    // exportStack shows secrets decrypted, still marked as secrets ("plaintext" next to the signature key).
    const secretSig = "4dabf18193072939515e22adb298388d";
    const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secret?.outputs.data).toHaveProperty(secretSig);
    // The official provider folds stringData into data: the outputs keep no stringData at all.
    expect(secret?.outputs.stringData).toBeUndefined();
    expect(secret?.inputs.stringData ?? secret?.inputs.data).toHaveProperty(secretSig);
    // Wherever else the value is kept (the provider also keeps its inputs under `__inputs`), it is secret.
    const unmarked = JSON.stringify(withoutSecretValues(secret?.outputs, secretSig));
    expect(unmarked).not.toContain("s3cret");
    expect(unmarked).not.toContain(Buffer.from("s3cret").toString("base64"));
    expect(outputs.secretData.secret).toBe(true);
    const live = kubectl(["get", "secret", "-n", namespace, String(outputs.secretName.value), "-o", "json"]);
    expect(Buffer.from(JSON.parse(live).data.PASSWORD, "base64").toString()).toBe("s3cret");
  });

  it("updates: a new ConfigMap value replaces the ConfigMap and rolls the Deployment; replicas scale", async () => {
    settings.greeting = "bonjour";
    settings.replicas = 2;
    const preview = await stack.preview();
    expect(preview.changeSummary).toMatchObject({ replace: 1, update: 1 });
    const { result, seconds } = await up();
    console.log(`[official-provider] update: ${seconds.toFixed(1)}s`);
    expect(result.summary.result).toBe("succeeded");
    const newName = String(result.outputs.configMapName.value);
    expect(newName).not.toBe(outputs.configMapName.value);
    const data = JSON.parse(kubectl(["get", "configmap", "-n", namespace, newName, "-o", "json"])).data;
    expect(data).toEqual({ GREETING: "bonjour" });
    expect(kubectl(["get", "configmaps", "-n", namespace, "-o", "name"])).not.toContain(
      String(outputs.configMapName.value),
    );
    const deployment = JSON.parse(
      kubectl([
        "get",
        "deployment",
        "-n",
        namespace,
        String(result.outputs.deploymentName.value),
        "-o",
        "json",
      ]),
    );
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.status.readyReplicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(newName);
    expect(readyPods()).toHaveLength(2);
    expect(result.summary.resourceChanges).toMatchObject({ replace: 1, update: 1 });
  });

  it("fails fast, naming the image, when a Deployment's image is not on the node", async () => {
    settings.broken = true;
    const { message, seconds } = await failingUp();
    console.log(`[official-provider] missing image failed after ${seconds.toFixed(1)}s`);
    expect(message).toContain(missingImage);
    expect(message).toContain("ErrImageNeverPull");
    expect(seconds).toBeLessThan(90);
    // The Deployment is in the state (it exists), so the next up deletes it.
    const state = await stack.exportStack();
    expect(state.deployment.resources.some((r: { urn: string }) => r.urn.endsWith("::broken"))).toBe(true);
    settings.broken = false;
  });

  it("fails fast, naming the quota, when pods exceed a ResourceQuota", async () => {
    settings.greedy = true;
    const { message, seconds } = await failingUp();
    console.log(`[official-provider] over quota failed after ${seconds.toFixed(1)}s`);
    expect(message).toMatch(/more than its quota run-quota \(requested: limits.memory=4Gi/);
    expect(seconds).toBeLessThan(90);
    settings.greedy = false;
  });

  it("fails fast on a PodSecurity violation", async () => {
    settings.restricted = true;
    const { message, seconds } = await failingUp();
    console.log(`[official-provider] PodSecurity failed after ${seconds.toFixed(1)}s`);
    expect(message).toContain("violates PodSecurity");
    expect(seconds).toBeLessThan(90);
    settings.restricted = false;
  });

  it("fails fast on a container in CrashLoopBackOff, with its last log lines", async () => {
    settings.crashing = true;
    // Reset first: a failure here must not turn the following tests into failures too.
    const { message, seconds } = await failingUp().finally(() => (settings.crashing = false));
    console.log(`[official-provider] CrashLoopBackOff failed after ${seconds.toFixed(1)}s`);
    expect(message).toContain("CrashLoopBackOff");
    expect(message).toContain("fatal: cannot reach the database");
    expect(seconds).toBeLessThan(120);
  });

  it("fails when a Job fails, with its reason and its last log lines", async () => {
    settings.failingJob = true;
    const { message, seconds } = await failingUp().finally(() => (settings.failingJob = false));
    console.log(`[official-provider] failed Job failed after ${seconds.toFixed(1)}s`);
    expect(message).toContain("BackoffLimitExceeded");
    expect(message).toContain("migration failed: relation users already exists");
    expect(seconds).toBeLessThan(90);
  });

  it("removes what the program no longer declares, and refresh finds nothing changed", async () => {
    settings.namespaceDeleteTimeout = "20s";
    const { result } = await up();
    expect(result.summary.result).toBe("succeeded");
    expect(kubectl(["get", "deployments", "-n", namespace, "-o", "name"]).trim().split("\n")).toHaveLength(1);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/${restrictedNamespace}`);
    const refresh = await stack.refresh();
    expect(refresh.summary.result).toBe("succeeded");
    expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
  });

  it("fails to delete a namespace that an object's finalizer holds; the namespace's conditions name the finalizer", async () => {
    kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "held", namespace, finalizers: ["example.com/hold"] },
      }),
    );
    const started = Date.now();
    const error = await stack.destroy().then(
      () => undefined,
      (e: Error) => e,
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`[official-provider] destroy of a held namespace failed after ${seconds.toFixed(1)}s`);
    // The official provider only says it timed out; the engine adds what the namespace controller says.
    expect(error?.message).toContain("timed out waiting for the condition");
    const held = await readNamespaceBlockers(
      readFileSync(environment.KUBECONFIG, "utf8"),
      environment.KUBE_CONTEXT,
      namespace,
    );
    expect(held).toContain(`namespace ${namespace} cannot be deleted yet`);
    expect(held).toContain("example.com/hold");
    kubectl([
      "patch",
      "configmap",
      "held",
      "-n",
      namespace,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    // The namespace controller retries with a backoff; the next destroy finds the namespace gone.
    kubectl(["wait", "--for=delete", `namespace/${namespace}`, "--timeout=300s"]);
  });

  it("destroys everything, the namespace included", async () => {
    const started = Date.now();
    await stack.destroy();
    destroyed = true;
    console.log(`[official-provider] destroy: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/${namespace}`);
    const state = await stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
    const statusLines = events.filter((e) => e.diagnosticEvent?.ephemeral).length;
    console.log(`[official-provider] ${statusLines} progress lines from the provider`);
  });
});
