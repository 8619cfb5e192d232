import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { DefinitionsService } from "compose-spec-ts";
import type { MountModel, RepoFile } from "./model";
import type { ModelContext } from "./model-context";
import { resolveInRepo } from "./repo-paths";
import { asBoolean, bytesToQuantity, parseBytes } from "./units";

/** A ConfigMap is stored in etcd, which caps an object at about 1 MiB. */
const MAX_CONFIGMAP_BYTES = 1000 * 1000;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

type LongVolume = Exclude<NonNullable<DefinitionsService["volumes"]>[number], string>;

/** One volume entry with its short and long forms made alike. */
interface VolumeEntry {
  type: string;
  source?: string;
  target: string;
  readOnly: boolean;
  subPath?: string;
  tmpfsSize?: string | number;
}

/**
 * Reads `volumes`, `tmpfs` and `shm_size` into mounts: named volumes become PersistentVolumeClaims,
 * tmpfs and anonymous volumes become emptyDirs, and bind mounts of files inside the repository
 * become ConfigMaps. Host paths (the Docker socket above all) are refused: a run must not see or
 * control the machine it runs on.
 *
 * `hasBuild` matters for directory binds too deep for a ConfigMap: on a service built from the
 * repository they are the usual live-reload overlay of files the image already contains, so they
 * are dropped with a warning instead of refused.
 */
export function readMounts(
  service: DefinitionsService,
  path: string,
  declaredVolumes: ReadonlySet<string>,
  hasBuild: boolean,
  context: ModelContext,
): MountModel[] {
  const mounts: MountModel[] = [];
  (service.volumes ?? []).forEach((raw, index) => {
    const at = `${path}.volumes[${index}]`;
    const entry =
      typeof raw === "string" ? readShortVolume(raw, at, context) : readLongVolume(raw, at, context);
    const mount = entry && toMount(entry, at, declaredVolumes, hasBuild, context);
    if (mount) mounts.push(mount);
  });
  const tmpfs = typeof service.tmpfs === "string" ? [service.tmpfs] : (service.tmpfs ?? []);
  tmpfs.forEach((spec, index) => {
    const [target, options = ""] = spec.split(/:(.*)/s);
    const size = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
    mounts.push({
      kind: "emptyDir",
      target: target!,
      memory: true,
      ...sizeLimit(size, `${path}.tmpfs[${index}]`, context),
    });
  });
  if (service.shm_size !== undefined) {
    // Kubernetes gives /dev/shm 64 MiB; a memory-backed emptyDir there is the usual way to grow it.
    mounts.push({
      kind: "emptyDir",
      target: "/dev/shm",
      memory: true,
      ...sizeLimit(service.shm_size, `${path}.shm_size`, context),
    });
  }
  return mounts;
}

function readShortVolume(spec: string, at: string, context: ModelContext): VolumeEntry | undefined {
  const parts = spec.split(":");
  if (parts.length === 1) return { type: "volume", target: parts[0]!, readOnly: false };
  const [source, target, mode = ""] = parts;
  if (parts.length > 3 || !target) {
    context.findings.refuse(
      at,
      `"${spec}" is not a volume: write source:target[:ro] or a named volume name:target`,
    );
    return undefined;
  }
  const options = mode.split(",");
  const isPath = source!.startsWith(".") || source!.startsWith("/") || source!.startsWith("~");
  return {
    type: isPath ? "bind" : "volume",
    source: source!,
    target,
    readOnly: options.includes("ro") || options.includes("readonly"),
  };
}

function readLongVolume(raw: LongVolume, at: string, context: ModelContext): VolumeEntry | undefined {
  if (!raw.target) {
    context.findings.refuse(`${at}.target`, "a volume needs a target path inside the container");
    return undefined;
  }
  if (raw.bind?.propagation || raw.bind?.selinux || raw.consistency) {
    context.findings.warn(
      at,
      "bind propagation, selinux and consistency options are ignored: they are host mount options",
    );
  }
  if (raw.tmpfs?.mode !== undefined) {
    context.findings.warn(`${at}.tmpfs.mode`, "ignored: an emptyDir's mode is set by the kubelet");
  }
  return {
    type: raw.type,
    ...(raw.source ? { source: raw.source } : {}),
    target: raw.target,
    readOnly: asBoolean(raw.read_only),
    ...(raw.volume?.subpath ? { subPath: raw.volume.subpath } : {}),
    ...(raw.tmpfs?.size !== undefined ? { tmpfsSize: raw.tmpfs.size } : {}),
  };
}

function toMount(
  entry: VolumeEntry,
  at: string,
  declaredVolumes: ReadonlySet<string>,
  hasBuild: boolean,
  context: ModelContext,
): MountModel | undefined {
  const { findings } = context;
  switch (entry.type) {
    case "volume":
      if (!entry.source) return { kind: "emptyDir", target: entry.target, memory: false };
      if (!declaredVolumes.has(entry.source)) {
        findings.refuse(
          at,
          `volume "${entry.source}" is not declared: add it under the top-level volumes: key`,
        );
        return undefined;
      }
      return {
        kind: "volume",
        volume: entry.source,
        target: entry.target,
        readOnly: entry.readOnly,
        ...(entry.subPath ? { subPath: entry.subPath } : {}),
      };
    case "tmpfs":
      return {
        kind: "emptyDir",
        target: entry.target,
        memory: true,
        ...sizeLimit(entry.tmpfsSize, at, context),
      };
    case "bind":
      return bindMount(entry, at, hasBuild, context);
    default:
      findings.refuse(
        at,
        `volume type "${entry.type}" cannot be used in a run: use a named volume, tmpfs or a repository file`,
      );
      return undefined;
  }
}

function bindMount(
  entry: VolumeEntry,
  at: string,
  hasBuild: boolean,
  context: ModelContext,
): MountModel | undefined {
  const { findings } = context;
  const source = entry.source ?? "";
  if (/docker\.sock$|docker_engine$/.test(source)) {
    findings.refuse(
      at,
      `mounting the Docker socket (${source}) would give the container control of the host: remove this volume`,
    );
    return undefined;
  }
  const resolved = resolveInRepo(context.repoRoot, context.projectDir, source);
  if (typeof resolved === "string") {
    findings.refuse(
      at,
      `binds "${source}", which ${resolved}: a run cannot see the host's files; use a named volume, or a path inside the repository`,
    );
    return undefined;
  }
  if (!resolved.exists) {
    findings.warn(
      at,
      `"${source}" does not exist in the repository; an empty directory is mounted, as compose would create one`,
    );
    return { kind: "emptyDir", target: entry.target, memory: false };
  }
  const files = repoFiles(resolved.absolute);
  if (typeof files === "string") {
    const why = `"${source}" ${files}`;
    if (hasBuild && statSync(resolved.absolute).isDirectory()) {
      findings.warn(
        at,
        `${why}, so it is not mounted; the image built from the repository is used as it is (no live reload)`,
      );
      return undefined;
    }
    findings.refuse(at, `${why}: COPY it into an image, or mount the files it needs one by one`);
    return undefined;
  }
  if (!entry.readOnly) {
    findings.warn(
      at,
      `"${source}" is mounted read-only from a ConfigMap; writes to ${entry.target} will fail`,
    );
  }
  return {
    kind: "repoFiles",
    source: resolved.relative,
    target: entry.target,
    singleFile: statSync(resolved.absolute).isFile(),
    files,
  };
}

/** The files a bind source holds, or why they cannot go into one ConfigMap. */
function repoFiles(absolute: string): RepoFile[] | string {
  const stat = statSync(absolute);
  const entries = stat.isFile()
    ? [{ key: path.basename(absolute), file: absolute }]
    : readdirSync(absolute, { withFileTypes: true }).map((dirent) => ({
        key: dirent.name,
        file: path.join(absolute, dirent.name),
        isDirectory: dirent.isDirectory(),
      }));
  if (entries.some((entry) => "isDirectory" in entry && entry.isDirectory)) {
    return "has subdirectories, which a ConfigMap cannot hold";
  }
  let total = 0;
  const files: RepoFile[] = [];
  for (const { key, file } of entries) {
    if (!CONFIGMAP_KEY.test(key)) return `holds "${key}", a file name a ConfigMap key cannot have`;
    total += statSync(file).size;
    if (total > MAX_CONFIGMAP_BYTES) return "is larger than the 1 MB a ConfigMap can hold";
    files.push({ key, content: readFileSync(file) });
  }
  return files;
}

function sizeLimit(
  size: string | number | undefined,
  at: string,
  context: ModelContext,
): { sizeLimit?: string } {
  if (size === undefined) return {};
  const bytes = parseBytes(size);
  if (bytes === undefined) {
    context.findings.warn(at, `size "${size}" is not a byte size like 64m; no size limit is set`);
    return {};
  }
  return { sizeLimit: bytesToQuantity(bytes) };
}
