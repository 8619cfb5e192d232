import { stringify } from "yaml";
import type { HostPortMapping } from "./ports";
import { shellLine, withCliPath } from "./shell";

/** The shell commands of a CLI-made cluster (kind, k3d). */
export interface ClusterCommands {
  /** Creates the cluster; prints only the kubeconfig on stdout. */
  readonly create: string;
  readonly delete: string;
  /** Copies images from the local Docker engine into every node. */
  readonly preload: (images: readonly string[]) => string;
  /** The kubeconfig context that reaches the cluster. */
  readonly context: string;
}

/** What a kind cluster is made of. */
export interface KindClusterSpec {
  readonly clusterName: string;
  readonly workers: number;
  readonly nodeImage?: string;
  readonly ports: readonly HostPortMapping[];
}

/** The kind `Cluster` config: one control plane that publishes the host ports, and `workers` workers. */
export function kindClusterConfig(spec: KindClusterSpec): string {
  const extraPortMappings = spec.ports.map((p) => ({
    containerPort: p.node,
    hostPort: p.host,
    // Previews are for this machine only: never bind them on every interface.
    listenAddress: "127.0.0.1",
    protocol: p.protocol ?? "TCP",
  }));
  return stringify({
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    name: spec.clusterName,
    nodes: [
      { role: "control-plane", extraPortMappings },
      ...Array.from({ length: spec.workers }, () => ({ role: "worker" })),
    ],
  });
}

/**
 * The shell commands that create and delete the cluster with the real kind CLI. `create` prints only
 * the kubeconfig on stdout (kind's progress goes to stderr), so stdout becomes the secret output.
 * The config travels in the KIND_CONFIG environment variable, never in the command line.
 */
export function kindCommands(spec: KindClusterSpec): ClusterCommands {
  const createArgs = [
    "kind",
    "create",
    "cluster",
    "--name",
    spec.clusterName,
    "--config",
    "-",
    "--wait",
    "180s",
  ];
  if (spec.nodeImage) createArgs.push("--image", spec.nodeImage);
  return {
    create: withCliPath(
      [
        "set -eu",
        `printf '%s' "$KIND_CONFIG" | ${shellLine(createArgs)} 1>&2`,
        shellLine(["kind", "get", "kubeconfig", "--name", spec.clusterName]),
      ].join("\n"),
    ),
    delete: withCliPath(shellLine(["kind", "delete", "cluster", "--name", spec.clusterName])),
    preload: (images) =>
      withCliPath(shellLine(["kind", "load", "docker-image", ...images, "--name", spec.clusterName])),
    context: `kind-${spec.clusterName}`,
  };
}
