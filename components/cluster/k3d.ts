import type { HostPortMapping } from "./ports";
import type { ClusterCommands } from "./kind";
import { shellLine, withCliPath } from "./shell";

/** What a k3d cluster is made of. */
export interface K3dClusterSpec {
  readonly clusterName: string;
  readonly workers: number;
  /** `rancher/k3s:<version>`; unset: k3d's default. */
  readonly nodeImage?: string;
  readonly ports: readonly HostPortMapping[];
}

/**
 * The shell commands that create and delete the cluster with the real k3d CLI (the GraphWiki seed
 * chose the CLI over the Terraform provider for reliability). NodePorts are published straight from
 * the server node, bound to 127.0.0.1. `create` prints only the kubeconfig on stdout.
 */
export function k3dCommands(spec: K3dClusterSpec): ClusterCommands {
  const createArgs = [
    "k3d",
    "cluster",
    "create",
    spec.clusterName,
    "--agents",
    String(spec.workers),
    "--wait",
  ];
  if (spec.nodeImage) createArgs.push("--image", spec.nodeImage);
  for (const p of spec.ports) {
    createArgs.push(
      "--port",
      `127.0.0.1:${p.host}:${p.node}/${(p.protocol ?? "TCP").toLowerCase()}@server:0`,
    );
  }
  return {
    create: withCliPath(
      [
        "set -eu",
        `${shellLine(createArgs)} 1>&2`,
        shellLine(["k3d", "kubeconfig", "get", spec.clusterName]),
      ].join("\n"),
    ),
    delete: withCliPath(shellLine(["k3d", "cluster", "delete", spec.clusterName])),
    preload: (images) =>
      withCliPath(shellLine(["k3d", "image", "import", ...images, "--cluster", spec.clusterName])),
    context: `k3d-${spec.clusterName}`,
  };
}
