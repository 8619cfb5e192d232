import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtKindFolder } from "../../automation/local/kind-here";
import {
  newHome,
  newUserEnvironment,
  npmRunDown,
  npmStart,
  reporunnerCli,
  type StartedInstance,
} from "./support/local-instance";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  useTestEnvironment,
} from "./support/testenv";

/**
 * kind as most users run it (issue 15): `npm start -- --cluster kind` makes the platform stack's
 * LocalCluster create a kind cluster (a control plane and a worker, 30080 and 30082 on 127.0.0.1),
 * deploys every platform service on it, and serves the Run API; a repository's preview answers
 * through localhost:30080; `npm run down` destroys the stack, and with it the cluster. This machine
 * cannot run stock kind (no pulls, no `--privileged`), so kind runs as built here
 * (`builtin-cluster/kind/`): its node image, its docker wrapper, the services' stand-in images.
 */
const CLUSTER = "reporunner";
const PLATFORM_PORTS = ["30080", "30082"];
const home = newHome();
const env = newUserEnvironment(home);
let instance: StartedInstance | undefined;
let testEnv: Record<string, string>;

const docker = (args: string[]) =>
  execFileSync("docker", args, {
    encoding: "utf8",
    env: { ...process.env, DOCKER_HOST: testEnv.DOCKER_HOST },
  });
const kindNodes = () =>
  docker(["ps", "-a", "--filter", `label=io.x-k8s.kind.cluster=${CLUSTER}`, "--format", "{{.Names}}"])
    .split("\n")
    .filter(Boolean)
    .sort();
const kindKubectl = (args: string[]) =>
  execFileSync(testEnv.KUBECTL!, ["--kubeconfig", path.join(home, ".reporunner", "kubeconfig"), ...args], {
    encoding: "utf8",
  });

beforeAll(async () => {
  testEnv = useTestEnvironment();
  // The built-in cluster's kube-proxy answers 127.0.0.1:<NodePort> before Docker's port forwarding does:
  // while it has a NodePort 30080 or 30082, localhost:30080 would not be kind's.
  const builtinNodePorts = kubectl([
    "get",
    "services",
    "-A",
    "-o",
    "jsonpath={.items[*].spec.ports[*].nodePort}",
  ]);
  const taken = PLATFORM_PORTS.filter((port) => builtinNodePorts.split(/\s+/).includes(port));
  expect(taken, `the built-in cluster has NodePort ${taken.join(", ")}: destroy its platform first`).toEqual(
    [],
  );
  expect(kindNodes(), `a kind cluster "${CLUSTER}" is left from before: kind delete cluster`).toEqual([]);
  instance = await npmStart(env, ["--cluster", "kind"]);
}, 20 * 60_000);

afterAll(() => {
  if (instance?.process.exitCode === null) npmRunDown(env);
  fs.rmSync(home, { recursive: true, force: true });
}, 10 * 60_000);

describe("npm start -- --cluster kind", () => {
  it("creates a kind cluster of a control plane and a worker, with 30080 and 30082 on 127.0.0.1 only", () => {
    expect(instance!.output()).toContain("cluster: kind, as built here");
    expect(kindNodes()).toEqual([`${CLUSTER}-control-plane`, `${CLUSTER}-worker`]);
    const ports = docker(["port", `${CLUSTER}-control-plane`]);
    for (const port of PLATFORM_PORTS) expect(ports).toContain(`${port}/tcp -> 127.0.0.1:${port}`);
    expect(ports).not.toMatch(/0\.0\.0\.0|\[::\]/);
    const nodes = kindKubectl([
      "get",
      "nodes",
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=='Ready')].status} {end}",
    ]);
    expect(nodes.trim().split(" ").sort()).toEqual([
      `${CLUSTER}-control-plane=True`,
      `${CLUSTER}-worker=True`,
    ]);
  });

  it("runs every platform service on it, each ready", () => {
    const workloads = kindKubectl([
      "get",
      "deployments,statefulsets",
      "-n",
      "infra",
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas}/{.spec.replicas} {end}",
    ])
      .trim()
      .split(" ");
    const names = workloads.map((w) => w.split("=")[0]);
    for (const service of [
      "redis",
      "mongodb",
      "kafka",
      "rabbitmq",
      "otel-collector",
      "jaeger",
      "preview-gateway",
    ]) {
      expect(
        names.some((name) => name.startsWith(service)),
        `${service} in ${names.join(", ")}`,
      ).toBe(true);
    }
    for (const workload of workloads) expect(workload).toMatch(/=(\d+)\/\1$/);
  });

  it("runs a repository whose preview answers through localhost:30080, from the kind cluster", async () => {
    const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "root-httpd-80"));
    const result = reporunnerCli(env, ["run", repo.dir, "--json"]);
    expect(result.code, result.stderr || result.stdout).toBe(0);
    const run = JSON.parse(result.stdout) as {
      id: string;
      status: string;
      previewUrls: Record<string, string>;
    };
    expect(run.status).toBe("READY");
    const url = Object.values(run.previewUrls)[0]!;
    expect(url).toMatch(/^http:\/\/localhost:30080\//);
    expect(await eventually(`the preview at ${url}`, () => bodyOf(url), 60_000)).toContain(
      "hello from port 80",
    );
    // The run lives in kind, not in the built-in cluster that shares this machine.
    expect(kindKubectl(["get", "namespaces", "-o", "name"])).toContain(`namespace/run-${run.id}`);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${run.id}`);
  });

  it(
    "npm run down destroys the platform stack, and the kind cluster with it",
    () => {
      const output = npmRunDown(env);
      expect(output).toContain("the kind cluster was deleted with the platform stack");
      expect(kindNodes()).toEqual([]);
      const clusters = execFileSync(path.join(builtKindFolder()!, "kind"), ["get", "clusters"], {
        encoding: "utf8",
        env: { ...process.env, DOCKER_HOST: testEnv.DOCKER_HOST },
      });
      expect(clusters.split("\n")).not.toContain(CLUSTER);
      expect(fs.existsSync(path.join(home, ".reporunner"))).toBe(false);
      // kind kept its context out of every kubeconfig but its own: the test environment's is as it was.
      expect(kubectl(["config", "current-context"]).trim()).toBe(testEnv.KUBE_CONTEXT);
    },
    10 * 60_000,
  );
});
