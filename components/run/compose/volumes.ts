import type { DefinitionsService } from "compose-spec-ts";
import { MAX_DIRECTORY_ENTRIES, RepoFileRefusal, type RepoFiles, type RepoPath } from "../source/repo-files";
import type { MountModel, RepoFile } from "./model";
import type { ModelContext } from "./model-context";
import { asBoolean, bytesToQuantity, parseBytes } from "./units";

/** A ConfigMap is stored in etcd, which caps an object at about 1 MiB. */
const MAX_CONFIGMAP_BYTES = 1000 * 1000;
/** Most files one bind mount may hold; a ConfigMap of more is a directory no one wrote by hand. */
const MAX_BIND_FILES = MAX_DIRECTORY_ENTRIES;
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
      if (!entry.source)
        return { kind: "emptyDir", target: entry.target, memory: false, seedFromImage: true };
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
  const resolved = context.files.resolve(context.projectDir, source);
  if (resolved instanceof RepoFileRefusal) {
    findings.refuse(at, hostFilesRefused(source, resolved));
    return undefined;
  }
  if (resolved.kind === "missing") {
    findings.warn(
      at,
      `"${source}" does not exist in the repository; an empty directory is mounted, as compose would create one`,
    );
    return { kind: "emptyDir", target: entry.target, memory: false };
  }
  const files = repoFiles(resolved, source, context.files);
  if (files instanceof RepoFileRefusal) {
    findings.refuse(at, hostFilesRefused(source, files));
    return undefined;
  }
  if (typeof files === "string") {
    const why = `"${source}" ${files}`;
    if (hasBuild && resolved.kind === "directory") {
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
    singleFile: resolved.kind === "file",
    files,
  };
}

function hostFilesRefused(source: string, refusal: RepoFileRefusal): string {
  const why = refusal.path === source ? `, which ${refusal.reason}` : `: ${refusal.message}`;
  return `binds "${source}"${why}: a run cannot see the host's files; use a named volume, or a path inside the repository`;
}

/**
 * The files a bind source holds; why they cannot go into one ConfigMap (a string, for the caller to
 * word); or the refusal of an entry no run may read (a symlink out of the repository, a device).
 */
function repoFiles(
  source: RepoPath,
  written: string,
  repo: RepoFiles,
): RepoFile[] | string | RepoFileRefusal {
  // A file is keyed by the name it was bound by, a link's own name rather than its target's.
  const names =
    source.kind === "file"
      ? [written.split("/").filter(Boolean).pop() ?? ""]
      : repo.names(source, MAX_BIND_FILES);
  if (names instanceof RepoFileRefusal) return names.reason;
  const listed = names.map((name) => ({
    name,
    path: source.kind === "file" ? source : repo.entry(source, name),
  }));
  // A directory that is not mounted anyway (see readMounts) is not refused for what it holds.
  if (listed.some((entry) => !(entry.path instanceof RepoFileRefusal) && entry.path.kind === "directory")) {
    return "has subdirectories, which a ConfigMap cannot hold";
  }
  let total = 0;
  const files: RepoFile[] = [];
  for (const { name, path } of listed) {
    if (path instanceof RepoFileRefusal) return path;
    if (!CONFIGMAP_KEY.test(name)) return `holds "${name}", a file name a ConfigMap key cannot have`;
    // A dangling symlink that stays inside the repository: there is nothing to mount, for docker either.
    if (path.kind === "missing") continue;
    const content = repo.read(path, MAX_CONFIGMAP_BYTES - total);
    if (content instanceof RepoFileRefusal) {
      if (content.limit === "size") return "is larger than the 1 MB a ConfigMap can hold";
      return content.limit ? `holds "${name}", which ${content.reason}` : content;
    }
    total += content.length;
    files.push({ key: name, content });
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
