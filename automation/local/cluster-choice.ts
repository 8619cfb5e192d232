import { execFileSync } from "node:child_process";

/** Which cluster `up` uses: `auto` picks kind when it can, else the project's own test environment. */
export type ClusterChoice = "auto" | "kind" | "builtin";

/** What the machine offers, probed once (injectable for tests). */
export interface MachineProbe {
  /** `kind` is on PATH. */
  hasKind(): boolean;
  /** A Docker engine answers `docker info`. */
  hasDockerEngine(): boolean;
  /** The test environment can run here: Linux, as root (it starts containerd and a kubelet). */
  canRunTestEnvironment(): boolean;
}

const succeeds = (command: string, args: string[]) => {
  try {
    execFileSync(command, args, { stdio: "ignore", timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
};

export const systemProbe: MachineProbe = {
  hasKind: () => succeeds("kind", ["version"]),
  hasDockerEngine: () => succeeds("docker", ["info"]),
  canRunTestEnvironment: () => process.platform === "linux" && process.getuid?.() === 0,
};

/** Thrown when no cluster can be had; the message says what to install. */
export class NoClusterError extends Error {}

/** The cluster `up` brings up, or why none can be. */
export function chooseCluster(choice: ClusterChoice, probe: MachineProbe = systemProbe): "kind" | "builtin" {
  const kindReady = () => probe.hasKind() && probe.hasDockerEngine();
  if (choice === "kind") {
    if (!probe.hasKind())
      throw new NoClusterError(
        "--cluster kind: kind is not on PATH; install it from https://kind.sigs.k8s.io",
      );
    if (!probe.hasDockerEngine())
      throw new NoClusterError("--cluster kind: no Docker engine answers `docker info`; start Docker first");
    return "kind";
  }
  if (choice === "builtin" || !kindReady()) {
    if (probe.canRunTestEnvironment()) return "builtin";
    throw new NoClusterError(
      choice === "builtin"
        ? "--cluster builtin: the built-in cluster needs Linux and root (it runs containerd and a kubelet)"
        : "no cluster available: install Docker and kind (https://kind.sigs.k8s.io), or run as root on Linux to use the built-in cluster",
    );
  }
  return "kind";
}
