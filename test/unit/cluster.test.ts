import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allCreated, findCreated, isSecret, resetCreated, resolveOutput, settle, setupMocks } from "./mocks";

type ClusterModule = typeof import("../../components/cluster/local-cluster");
let LocalCluster: ClusterModule["LocalCluster"];

beforeAll(async () => {
  await setupMocks();
  ({ LocalCluster } = await import("../../components/cluster/local-cluster"));
});
beforeEach(resetCreated);

const COMMAND = "command:local:Command";

function writeKubeconfig(contexts: string[], current?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-kubeconfig-"));
  const file = path.join(dir, "config");
  const doc = [
    "apiVersion: v1",
    "kind: Config",
    `current-context: ${current ?? ""}`,
    "contexts:",
    ...contexts.map((name) => `  - name: ${name}\n    context: { cluster: ${name}, user: ${name} }`),
  ].join("\n");
  fs.writeFileSync(file, doc);
  return file;
}

describe("LocalCluster with kind (the default)", () => {
  it("creates the cluster with the kind CLI, publishing the preview and Jaeger ports on 127.0.0.1", async () => {
    const cluster = new LocalCluster("cluster", {});
    await settle();
    const cmd = findCreated(COMMAND, "cluster-kind").inputs;
    expect(cmd.create).toContain("kind create cluster --name reporunner --config - --wait 180s");
    expect(cmd.create).toContain("kind get kubeconfig --name reporunner");
    expect(cmd.delete).toMatch(/\nkind delete cluster --name reporunner$/);
    const config = parse(cmd.environment.KIND_CONFIG);
    expect(config.nodes.map((n: { role: string }) => n.role)).toEqual(["control-plane", "worker"]);
    expect(config.nodes[0].extraPortMappings).toEqual([
      { containerPort: 30080, hostPort: 30080, listenAddress: "127.0.0.1", protocol: "TCP" },
      { containerPort: 30082, hostPort: 30082, listenAddress: "127.0.0.1", protocol: "TCP" },
    ]);
    expect(await resolveOutput(cluster.context)).toBe("kind-reporunner");
    expect(await resolveOutput(cluster.imageLoader)).toEqual({
      method: "kind-load",
      clusterName: "reporunner",
    });
  });

  it("follows the configured name, workers, node image and extra ports", async () => {
    new LocalCluster("c", {
      clusterName: "demo",
      workers: 3,
      nodeImage: "kindest/node:v1.34.0",
      extraPorts: [{ host: 8443, node: 30443 }],
    });
    await settle();
    const cmd = findCreated(COMMAND, "c-kind").inputs;
    expect(cmd.create).toContain("--name demo");
    expect(cmd.create).toContain("--image kindest/node:v1.34.0");
    const config = parse(cmd.environment.KIND_CONFIG);
    expect(config.nodes).toHaveLength(4);
    expect(config.nodes[0].extraPortMappings[2]).toMatchObject({ containerPort: 30443, hostPort: 8443 });
    expect(cmd.triggers).toContain("demo");
  });

  it("runs kind with the environment it is given, its PATH first, and preloads images before any deploy", async () => {
    const cluster = new LocalCluster("cluster", {
      cliEnvironment: { PATH: "/opt/wrapper:/opt/kind", DOCKER_HOST: "unix:///d.sock" },
      preloadImages: ["reporunner-standin/redis:7", "reporunner-standin/kafka:4.1.0"],
    });
    await settle();
    const cmd = findCreated(COMMAND, "cluster-kind").inputs;
    expect(cmd.environment).toMatchObject({
      DOCKER_HOST: "unix:///d.sock",
      REPORUNNER_CLI_PATH_PREFIX: "/opt/wrapper:/opt/kind",
    });
    // The inherited PATH is kept after the given folders, not replaced.
    expect(cmd.environment.PATH).toBeUndefined();
    const shell = (script: string, env: Record<string, string>) =>
      execFileSync("sh", ["-c", `${script.split("\n")[0]}\necho "$PATH"`], {
        env: { ...env, PATH: "/usr/bin:/bin" },
        encoding: "utf8",
      }).trim();
    expect(shell(cmd.create, cmd.environment)).toBe("/opt/wrapper:/opt/kind:/usr/bin:/bin");
    expect(shell(cmd.create, {})).toBe("/usr/bin:/bin");
    const preload = findCreated(COMMAND, "cluster-preload").inputs;
    expect(preload.create).toMatch(
      /\nkind load docker-image reporunner-standin\/redis:7 reporunner-standin\/kafka:4\.1\.0 --name reporunner$/,
    );
    const { KIND_CONFIG: _config, ...kindEnvironment } = cmd.environment;
    expect(preload.environment).toEqual(kindEnvironment);
    expect(await resolveOutput(cluster.context)).toBe("kind-reporunner");
  });

  it("keeps the kubeconfig secret: out of the logs and encrypted in the state", async () => {
    const cluster = new LocalCluster("cluster", {});
    await settle();
    expect(findCreated(COMMAND, "cluster-kind").inputs.logging).toBe("stderr");
    expect(await isSecret(cluster.kubeconfig)).toBe(true);
    const provider = findCreated("pulumi:providers:kubernetes", "cluster-provider").inputs;
    expect(provider.context).toBe("kind-reporunner");
    expect(provider.deleteUnreachable).toBe("true");
  });

  it("refuses a cluster name that kind cannot use, naming the field", async () => {
    expect(() => new LocalCluster("bad", { clusterName: "Not_Valid" })).toThrow(/clusterName/);
  });

  it("refuses a host port mapped twice", async () => {
    expect(() => new LocalCluster("dup", { extraPorts: [{ host: 30080, node: 30081 }] })).toThrow(
      /30080 is mapped twice/,
    );
  });
});

describe("LocalCluster with k3d", () => {
  it("creates the cluster with the k3d CLI and maps NodePorts from the server node", async () => {
    const cluster = new LocalCluster("cluster", {
      provider: "k3d",
      workers: 2,
      nodeImage: "rancher/k3s:v1.34.1-k3s1",
    });
    await settle();
    const cmd = findCreated(COMMAND, "cluster-k3d").inputs;
    expect(cmd.create).toContain(
      "k3d cluster create reporunner --agents 2 --wait --image rancher/k3s:v1.34.1-k3s1",
    );
    expect(cmd.create).toContain("--port 127.0.0.1:30080:30080/tcp@server:0");
    expect(cmd.create).toContain("--port 127.0.0.1:30082:30082/tcp@server:0");
    expect(cmd.create).toContain("k3d kubeconfig get reporunner");
    expect(cmd.delete).toMatch(/\nk3d cluster delete reporunner$/);
    expect(await resolveOutput(cluster.context)).toBe("k3d-reporunner");
    expect(await resolveOutput(cluster.imageLoader)).toEqual({
      method: "k3d-import",
      clusterName: "reporunner",
    });
  });
});

describe("LocalCluster with an existing cluster", () => {
  it("creates no command and wraps the kubeconfig's current context", async () => {
    const file = writeKubeconfig(["docker-desktop", "minikube"], "minikube");
    const cluster = new LocalCluster("cluster", {
      provider: "existing",
      kubeconfigPath: file,
      registry: "127.0.0.1:5000",
    });
    await settle();
    expect(allCreated(COMMAND)).toHaveLength(0);
    expect(await resolveOutput(cluster.context)).toBe("minikube");
    expect(await resolveOutput(cluster.kubeconfig)).toContain("docker-desktop");
    expect(await resolveOutput(cluster.imageLoader)).toEqual({
      method: "registry",
      registry: "127.0.0.1:5000",
    });
    expect(findCreated("pulumi:providers:kubernetes", "cluster-provider").inputs.deleteUnreachable).toBe(
      "false",
    );
  });

  it("uses the configured context and loads images into containerd when asked", async () => {
    const file = writeKubeconfig(["a", "b"], "a");
    const cluster = new LocalCluster("cluster", {
      provider: "existing",
      kubeconfigPath: file,
      context: "b",
      imageLoad: "containerd",
    });
    expect(await resolveOutput(cluster.context)).toBe("b");
    expect(await resolveOutput(cluster.imageLoader)).toEqual({
      method: "containerd-import",
      containerdAddress: "/run/containerd/containerd.sock",
    });
  });

  it("says which context is missing and which ones exist", () => {
    const file = writeKubeconfig(["a"], "a");
    expect(
      () =>
        new LocalCluster("x", {
          provider: "existing",
          kubeconfigPath: file,
          context: "zzz",
          imageLoad: "none",
        }),
    ).toThrow(/no context "zzz" \(it has: a\)/);
  });

  it("says which kubeconfig file cannot be read", () => {
    expect(
      () => new LocalCluster("x", { provider: "existing", kubeconfigPath: "/nonexistent/kubeconfig" }),
    ).toThrow(/kubeconfigPath: cannot read kubeconfig \/nonexistent\/kubeconfig/);
  });

  it("asks for a registry when images are pushed to one", () => {
    const file = writeKubeconfig(["a"], "a");
    expect(() => new LocalCluster("x", { provider: "existing", kubeconfigPath: file })).toThrow(
      /registry is required/,
    );
  });
});
