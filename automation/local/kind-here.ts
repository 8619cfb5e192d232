import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtinVersion } from "./platform-config";
import { runStreaming } from "./run-script";

/**
 * kind on a machine like the one this project is built and tested on, where stock kind cannot run:
 * no image can be pulled (kind's node image, the services' images), and Docker cannot start
 * `--privileged` containers, which kind asks for every node (`builtin-cluster/kind/README.md`).
 * There the test environment lends its Docker engine and Pulumi, `npm run setup` builds kind, and
 * `builtin-cluster/kind/` makes the node image and the `docker` wrapper that kind runs through.
 */
export interface KindHere {
  /**
   * For the kind CLI: the folders that come first on its PATH (kind's, the docker wrapper's; every
   * later `kind load` of a run needs them too), and Docker's variables.
   */
  readonly cliEnvironment: Readonly<Record<string, string>>;
  /** The node image made here. */
  readonly nodeImage: string;
}

/** Where `npm run setup` leaves its builds (`builtin-cluster/lib.sh`). */
function toolchainRoot(): string {
  return path.join(
    process.env.REPORUNNER_CACHE ?? path.join(os.homedir(), ".cache", "reporunner"),
    "toolchain",
  );
}

/** kind on PATH, as a user installs it. */
export function kindOnPath(): boolean {
  try {
    execFileSync("kind", ["version"], { stdio: "ignore", timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** The folder of the kind that `npm run setup` built (`build/40-kind.sh`), when it did. */
export function builtKindFolder(): string | undefined {
  try {
    const dir = fs.readFileSync(path.join(toolchainRoot(), "builtin-cluster-paths", "kind"), "utf8").trim();
    const bin = path.join(dir, "bin");
    return fs.existsSync(path.join(bin, "kind")) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether Docker on this host can start `--privileged` containers: it asks runc for every capability,
 * which fails when CAP_SYS_RESOURCE (bit 24) is outside the bounding set, as in this project's
 * sandboxes ("unable to apply caps: operation not permitted").
 */
export function privilegedContainersWork(status = "/proc/self/status"): boolean {
  if (process.platform !== "linux") return true;
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(status, "utf8"))?.[1];
  return bounding === undefined || (BigInt(`0x${bounding}`) & (1n << 24n)) !== 0n;
}

/**
 * What the platform stack needs to run kind here, given the test environment's variables
 * (`.builtin-cluster/env`). Builds the node image when its inputs changed (about a minute, from what
 * `npm run setup` built; a second when nothing changed), streaming its progress.
 */
export async function prepareKindHere(
  projectDir: string,
  testEnvironment: Readonly<Record<string, string>>,
  kubeconfigFile: string,
  onLine: (line: string) => void,
): Promise<KindHere> {
  const kindFolder = kindOnPath() ? undefined : builtKindFolder();
  const wrapper = privilegedContainersWork()
    ? undefined
    : path.join(projectDir, "builtin-cluster", "kind", "bin");
  const toolFolders = [wrapper, kindFolder].filter((folder): folder is string => folder !== undefined);
  const dockerHost = testEnvironment.DOCKER_HOST ?? "";
  onLine(`kind node image: building or reusing (builtin-cluster/kind/build-node-image.sh)`);
  await runStreaming("bash", [path.join(projectDir, "builtin-cluster", "kind", "build-node-image.sh")], {
    cwd: projectDir,
    onLine,
    env: { ...process.env, DOCKER_HOST: dockerHost },
  });
  return {
    cliEnvironment: {
      ...(toolFolders.length > 0 ? { PATH: toolFolders.join(":") } : {}),
      DOCKER_HOST: dockerHost,
      // kind writes its context into $KUBECONFIG and takes it out again on delete: here that could be the
      // test environment's own kubeconfig, left without a current context. It gets a file of its own.
      KUBECONFIG: kubeconfigFile,
      // The default bridge: kind's own network would need a DNS the wrapper cannot give unprivileged nodes.
      ...(wrapper ? { KIND_EXPERIMENTAL_DOCKER_NETWORK: "bridge" } : {}),
    },
    nodeImage: `reporunner/kind-node:v${builtinVersion("KUBERNETES_VERSION")}`,
  };
}
