import { execFileSync } from "node:child_process";
import { builtKindFolder, kindOnPath, privilegedContainersWork } from "./kind-here";

/** Which cluster `up` uses: `auto` picks kind when it can, else the project's own test environment. */
export type ClusterChoice = "auto" | "kind" | "builtin";

/** What the machine offers, probed once (injectable for tests). */
export interface MachineProbe {
  /** `kind` is on PATH. */
  hasKind(): boolean;
  /** `npm run setup` built kind here (`builtin-cluster/build/40-kind.sh`). */
  hasBuiltKind(): boolean;
  /** A Docker engine answers `docker info`. */
  hasDockerEngine(): boolean;
  /** Docker can start `--privileged` containers, as kind's nodes are. */
  canRunPrivileged(): boolean;
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
  hasKind: kindOnPath,
  hasBuiltKind: () => builtKindFolder() !== undefined,
  hasDockerEngine: () => succeeds("docker", ["info"]),
  canRunPrivileged: () => privilegedContainersWork(),
  canRunTestEnvironment: () => process.platform === "linux" && process.getuid?.() === 0,
};

/** Thrown when no cluster can be had; the message says what to install. */
export class NoClusterError extends Error {}

/** How `up` runs kind: as installed, or through what this checkout builds (`kind-here.ts`). */
export type KindMode = "installed" | "here";

/**
 * The cluster `up` brings up, or why none can be. `auto` takes kind only as a user installs it (on
 * PATH, with a Docker engine answering); `--cluster kind` also takes the kind `npm run setup` built,
 * with the test environment's Docker engine, on a machine that can run the test environment.
 */
export function chooseCluster(
  choice: ClusterChoice,
  probe: MachineProbe = systemProbe,
): { provider: "kind"; kind: KindMode } | { provider: "builtin" } {
  const kindReady = () => probe.hasKind() && probe.hasDockerEngine() && probe.canRunPrivileged();
  if (choice === "kind") {
    if (kindReady()) return { provider: "kind", kind: "installed" };
    if (!probe.hasKind() && !probe.hasBuiltKind())
      throw new NoClusterError(
        "--cluster kind: kind is not on PATH; install it from https://kind.sigs.k8s.io (or `npm run setup` builds it here)",
      );
    if (!probe.canRunTestEnvironment())
      throw new NoClusterError("--cluster kind: no Docker engine answers `docker info`; start Docker first");
    return { provider: "kind", kind: "here" };
  }
  if (choice === "builtin" || !kindReady()) {
    if (probe.canRunTestEnvironment()) return { provider: "builtin" };
    throw new NoClusterError(
      choice === "builtin"
        ? "--cluster builtin: the built-in cluster needs Linux and root (it runs containerd and a kubelet)"
        : "no cluster available: install Docker and kind (https://kind.sigs.k8s.io), or run as root on Linux to use the built-in cluster",
    );
  }
  return { provider: "kind", kind: "installed" };
}
