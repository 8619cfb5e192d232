/**
 * The test environment's volume provisioner (what kind's and k3d's local-path provisioner do): every 2 s it
 *  - gives each Pending, unbound PersistentVolumeClaim of a StorageClass whose provisioner is ours (the claim's
 *    class, or the default class when the claim names none) a hostPath PersistentVolume on a directory
 *    `<volumes-dir>/<namespace>-<claim>-<uid8>` (mode 0777, so that non-root pods can write), pre-bound to the claim;
 *  - deletes each PersistentVolume it made that is Released (its claim deleted) with reclaim policy Delete,
 *    and its directory.
 * One node, so no nodeAffinity. Errors are logged and retried on the next pass; SIGTERM/SIGINT end it.
 *
 *   node --require tsx/cjs testenv/provisioner/hostpath-provisioner.ts \
 *     --kubeconfig FILE --volumes-dir DIR [--heartbeat FILE] [--interval-ms 2000]
 *
 * The heartbeat file is touched after each successful pass (status.sh checks that it is recent).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CoreV1Api,
  KubeConfig,
  StorageV1Api,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1StorageClass,
} from "@kubernetes/client-node";

export const PROVISIONER = "reporunner.dev/hostpath";
const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
const DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
const SELECTED_NODE = "volume.kubernetes.io/selected-node";
const PASS_TIMEOUT_MS = 30_000;

interface Options {
  kubeconfig: string;
  volumesDir: string;
  heartbeat?: string;
  intervalMs: number;
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

function errorText(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && "body" in error) {
    const body = (error as { body: unknown }).body;
    let text = typeof body === "string" ? body : JSON.stringify(body);
    try {
      text = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    return `HTTP ${(error as { code: unknown }).code}: ${text}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function httpCode(error: unknown): number | undefined {
  return error && typeof error === "object" && "code" in error && typeof error.code === "number"
    ? error.code
    : undefined;
}

function parseArgs(argv: string[]): Options {
  const opts: Partial<Options> = { intervalMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const need = () => {
      if (value === undefined) throw new Error(`${argv[i]} needs a value`);
      i++;
      return value;
    };
    switch (argv[i]) {
      case "--kubeconfig":
        opts.kubeconfig = need();
        break;
      case "--volumes-dir":
        opts.volumesDir = path.resolve(need());
        break;
      case "--heartbeat":
        opts.heartbeat = need();
        break;
      case "--interval-ms":
        opts.intervalMs = Number(need());
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  opts.kubeconfig ??= process.env.KUBECONFIG;
  if (!opts.kubeconfig || !opts.volumesDir) throw new Error("--kubeconfig and --volumes-dir are required");
  if (!(opts.intervalMs! > 0)) throw new Error("--interval-ms must be a positive number");
  return opts as Options;
}

/** The directory name for a claim: `<namespace>-<claim>-<first 8 of its uid>`. */
export function volumeDirName(claim: V1PersistentVolumeClaim): string {
  const m = claim.metadata!;
  return `${m.namespace}-${m.name}-${m.uid!.slice(0, 8)}`;
}

/** The PersistentVolume for a claim of `cls`, on `dir`. */
export function volumeFor(
  claim: V1PersistentVolumeClaim,
  cls: V1StorageClass,
  dir: string,
): V1PersistentVolume {
  const m = claim.metadata!;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: `pvc-${m.uid}`,
      annotations: { [PROVISIONED_BY]: PROVISIONER },
      labels: { "reporunner.dev/claim-namespace": m.namespace! },
    },
    spec: {
      capacity: { storage: claim.spec!.resources!.requests!.storage! },
      accessModes: claim.spec!.accessModes?.length ? claim.spec!.accessModes : ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
      storageClassName: cls.metadata!.name!,
      volumeMode: "Filesystem",
      mountOptions: cls.mountOptions,
      claimRef: {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        namespace: m.namespace!,
        name: m.name!,
        uid: m.uid!,
      },
      hostPath: { path: dir, type: "Directory" },
    },
  };
}

export class Provisioner {
  private readonly core: CoreV1Api;
  private readonly storage: StorageV1Api;
  /** Claims already reported as not ours to serve, so that each is logged once. */
  private readonly skipped = new Set<string>();

  constructor(
    kc: KubeConfig,
    private readonly volumesDir: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.storage = kc.makeApiClient(StorageV1Api);
  }

  /** One pass: provision what is pending, delete what is released. Throws when the API cannot be listed. */
  async sync(): Promise<void> {
    const classes = (await this.storage.listStorageClass()).items;
    const ours = new Map(
      classes.filter((c) => c.provisioner === PROVISIONER).map((c) => [c.metadata!.name!, c] as const),
    );
    const defaultClass = classes.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS] === "true");

    const claims = (await this.core.listPersistentVolumeClaimForAllNamespaces()).items;
    for (const claim of claims) {
      if (claim.status?.phase !== "Pending" || claim.spec?.volumeName || claim.metadata?.deletionTimestamp)
        continue;
      // An absent class means the default one; "" means "no class" (static binding only).
      const className = claim.spec?.storageClassName ?? defaultClass?.metadata?.name;
      const cls = className === undefined ? undefined : ours.get(className);
      if (!cls) continue;
      if (cls.volumeBindingMode === "WaitForFirstConsumer" && !claim.metadata?.annotations?.[SELECTED_NODE])
        continue;
      await this.provision(claim, cls).catch((error: unknown) =>
        log(
          `provision ${claim.metadata!.namespace}/${claim.metadata!.name}: error: ${errorText(error)} (retrying)`,
        ),
      );
    }

    const volumes = (await this.core.listPersistentVolume()).items;
    for (const pv of volumes) {
      if (pv.metadata?.annotations?.[PROVISIONED_BY] !== PROVISIONER) continue;
      if (pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") continue;
      await this.remove(pv).catch((error: unknown) =>
        log(`delete ${pv.metadata!.name}: error: ${errorText(error)} (retrying)`),
      );
    }
  }

  private async provision(claim: V1PersistentVolumeClaim, cls: V1StorageClass): Promise<void> {
    const m = claim.metadata!;
    const ref = `${m.namespace}/${m.name}`;
    const why = !claim.spec?.resources?.requests?.storage
      ? "it requests no storage"
      : claim.spec.volumeMode === "Block"
        ? "volumeMode Block is not supported"
        : claim.spec.selector
          ? "claims with a selector cannot be provisioned"
          : claim.spec.dataSource || claim.spec.dataSourceRef
            ? "data sources are not supported"
            : undefined;
    if (why) {
      if (!this.skipped.has(m.uid!)) log(`skip ${ref}: ${why}`);
      this.skipped.add(m.uid!);
      return;
    }
    const dir = path.join(this.volumesDir, volumeDirName(claim));
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777); // mkdir's mode is masked by the umask
    const pv = volumeFor(claim, cls, dir);
    try {
      await this.core.createPersistentVolume({ body: pv });
    } catch (error) {
      if (httpCode(error) === 409) return; // made on an earlier pass; the PV controller binds it
      throw error;
    }
    log(
      `provisioned ${pv.metadata!.name} (${pv.spec!.capacity!.storage}, ${cls.metadata!.name}) for ${ref} at ${dir}`,
    );
  }

  private async remove(pv: V1PersistentVolume): Promise<void> {
    const name = pv.metadata!.name!;
    const dir = pv.spec?.hostPath?.path;
    // Only ever remove a directory of ours, directly under the volumes directory.
    if (dir && path.dirname(path.resolve(dir)) === this.volumesDir) {
      fs.rmSync(dir, { recursive: true, force: true });
    } else if (dir) {
      log(`delete ${name}: ${dir} is not under ${this.volumesDir}; leaving it`);
    }
    try {
      await this.core.deletePersistentVolume({ name });
    } catch (error) {
      if (httpCode(error) !== 404) throw error;
    }
    const claim = pv.spec?.claimRef ? ` (was ${pv.spec.claimRef.namespace}/${pv.spec.claimRef.name})` : "";
    log(`deleted ${name}${claim} and ${dir ?? "no directory"}`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  fs.mkdirSync(opts.volumesDir, { recursive: true });
  const provisioner = new Provisioner(kc, opts.volumesDir);

  let stopping = false;
  let wake: () => void = () => {};
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    wake();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  log(`started: provisioner ${PROVISIONER}, volumes in ${opts.volumesDir}, every ${opts.intervalMs} ms`);
  let failing = false;
  while (!stopping) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        provisioner.sync(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`pass took over ${PASS_TIMEOUT_MS} ms`)),
            PASS_TIMEOUT_MS,
          );
        }),
      ]);
      if (failing) log("API reachable again");
      failing = false;
      if (opts.heartbeat) {
        const now = new Date();
        try {
          fs.utimesSync(opts.heartbeat, now, now);
        } catch {
          fs.writeFileSync(opts.heartbeat, "");
        }
      }
    } catch (error) {
      // Log the first failure of a run of them, not one line every pass.
      if (!failing) log(`pass failed: ${errorText(error)} (retrying every ${opts.intervalMs} ms)`);
      failing = true;
    } finally {
      clearTimeout(timer);
    }
    if (stopping) break;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, opts.intervalMs);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  if (opts.heartbeat) fs.rmSync(opts.heartbeat, { force: true });
  log("stopped");
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      log(`fatal: ${errorText(error)}`);
      process.exit(1);
    },
  );
}
