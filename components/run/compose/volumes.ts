import type { DefinitionsService } from "compose-spec-ts";
import { MAX_DIRECTORY_ENTRIES, RepoFileRefusal, type RepoFiles, type RepoPath } from "../source/repo-files";
import type { MountModel, RepoFile } from "./model";
import type { ModelContext } from "./model-context";
import { objectNames } from "./pod-spec";
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
  if (source === "~" || source.startsWith("~/")) return homeFolder(entry, source, at, context);
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
  const found = repoFiles(resolved, source, !hasBuild, context.files);
  if (found instanceof RepoFileRefusal) {
    findings.refuse(at, hostFilesRefused(source, found));
    return undefined;
  }
  if (typeof found === "string") {
    const why = `"${source}" ${found}`;
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
  if (resolved.kind === "file" && found.files.length === 0) {
    findings.warn(
      at,
      `"${source}" is not mounted: it is larger than the 1 MB a ConfigMap can hold, so ${entry.target} does not exist in the container; COPY it into an image if the service needs it`,
    );
    return undefined;
  }
  if (found.leftOut.length) {
    findings.warn(
      at,
      `${listed(found.leftOut)} left out of "${source}": a file larger than the 1 MB a ConfigMap can hold cannot be mounted; the rest is mounted at ${entry.target}`,
    );
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
    files: found.files,
  };
}

/**
 * A folder in the host's home directory (`~/data:/data`) is the user's own data, which a run cannot
 * see; what the service needs is a place to keep it, so it gets an empty volume there instead, one
 * per folder (two services that bind the same folder share it, as they would share the folder).
 */
function homeFolder(entry: VolumeEntry, source: string, at: string, context: ModelContext): MountModel {
  const volume = source.replace(/\/+$/, "") || "~";
  context.findings.warn(
    at,
    `"${source}" is in the host's home directory, which a run cannot see: an empty volume (the PersistentVolumeClaim "${objectNames.volume(volume)}") is mounted at ${entry.target} instead`,
  );
  return { kind: "volume", volume, target: entry.target, readOnly: entry.readOnly };
}

/** `"a", "b" and 3 more`: the files a warning names, a few at most. */
function listed(paths: readonly string[]): string {
  const shown = paths.slice(0, 5).map((path) => `"${path}"`);
  const more = paths.length - shown.length;
  if (more > 0) return `${shown.join(", ")} and ${more} more`;
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}

function hostFilesRefused(source: string, refusal: RepoFileRefusal): string {
  const why = refusal.path === source ? `, which ${refusal.reason}` : `: ${refusal.message}`;
  return `binds "${source}"${why}: a run cannot see the host's files; use a named volume, or a path inside the repository`;
}

/** What a bind source puts in its ConfigMap, and the files too large for one (as written, `./site/big.mp4`). */
interface BindFiles {
  readonly files: RepoFile[];
  readonly leftOut: string[];
}

/**
 * The files a bind source holds, a whole tree when `tree` (a ConfigMap's `items[].path` puts each
 * file back in its folder); a file larger than a ConfigMap is left out, for the caller to warn
 * about. Otherwise why they cannot go into one ConfigMap (a string, for the caller to word), or the
 * refusal of an entry no run may read (a symlink out of the repository, a device).
 */
function repoFiles(
  source: RepoPath,
  written: string,
  tree: boolean,
  repo: RepoFiles,
): BindFiles | string | RepoFileRefusal {
  if (source.kind === "file") {
    const content = repo.read(source, MAX_CONFIGMAP_BYTES);
    if (content instanceof RepoFileRefusal) {
      if (content.limit === "size") return { files: [], leftOut: [written] };
      return content.limit ? content.reason : content;
    }
    // Mounted by subPath, so the key is only a name inside the ConfigMap.
    const name = written.split("/").filter(Boolean).pop() ?? "";
    return { files: [{ key: configMapKey(name, new Set()), content }], leftOut: [] };
  }
  const files: RepoFile[] = [];
  const leftOut: string[] = [];
  const keys = new Set<string>();
  let entries = 0;
  let total = 0;
  const base = written.replace(/\/+$/, "");
  // Depth first, each directory's names sorted; the entry count bounds a tree, a symlink loop too.
  const visit = (directory: RepoPath, prefix: string): string | RepoFileRefusal | undefined => {
    const names = repo.names(directory, MAX_BIND_FILES - entries);
    if (names instanceof RepoFileRefusal) {
      if (names.limit === "entries")
        return `has more than ${MAX_BIND_FILES} entries${prefix ? " in all" : ""}`;
      return names.reason;
    }
    entries += names.length;
    const listed = names.map((name) => ({ name, path: repo.entry(directory, name) }));
    // A directory that is not mounted anyway (see readMounts) is not refused for what it holds.
    if (!tree && listed.some(({ path }) => !(path instanceof RepoFileRefusal) && path.kind === "directory")) {
      return "has subdirectories";
    }
    for (const { name, path } of listed) {
      if (path instanceof RepoFileRefusal) return path;
      // A dangling symlink that stays inside the repository: there is nothing to mount, for docker either.
      if (path.kind === "missing") continue;
      const relative = `${prefix}${name}`;
      if (path.kind === "directory") {
        const problem = visit(path, `${relative}/`);
        if (problem !== undefined) return problem;
        continue;
      }
      const content = repo.read(path, MAX_CONFIGMAP_BYTES);
      if (content instanceof RepoFileRefusal) {
        if (content.limit === "size") {
          leftOut.push(`${base}/${relative}`);
          continue;
        }
        return content.limit ? `holds "${relative}", which ${content.reason}` : content;
      }
      total += content.length;
      if (total > MAX_CONFIGMAP_BYTES) return "is larger than the 1 MB a ConfigMap can hold";
      const key = configMapKey(relative, keys);
      files.push(key === relative ? { key, content } : { key, path: relative, content });
    }
    return undefined;
  };
  const problem = visit(source, "");
  return problem ?? { files, leftOut };
}

/**
 * A ConfigMap key for a file at `relative` in a bind: the name itself when Kubernetes allows it,
 * else a sanitised form not used yet (the mount's `items` then give the file its real path).
 */
function configMapKey(relative: string, used: Set<string>): string {
  let key = CONFIGMAP_KEY.test(relative) && !relative.startsWith("..") ? relative : "";
  if (!key || used.has(key)) {
    const safe = relative
      .replace(/[^-._a-zA-Z0-9]/g, "_")
      .replace(/^\.\./, "__")
      .slice(0, 240);
    key = safe;
    for (let n = 2; used.has(key); n += 1) key = `${safe}-${n}`;
  }
  used.add(key);
  return key;
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
