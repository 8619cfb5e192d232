/**
 * What a Pulumi type token means in Kubernetes, and which changes Kubernetes cannot make in place.
 */
import { getPath, isObject, type Json, type Path } from "./values";

export interface KubeType {
  token: string;
  /** `v1`, `apps/v1`, `networking.k8s.io/v1`, ... */
  apiVersion: string;
  kind: string;
}

/** Type tokens of @pulumi/kubernetes this stand-in does not implement (they are not plain Kubernetes objects). */
const UNSUPPORTED = [
  /^kubernetes:helm\.sh\//,
  /^kubernetes:kustomize:/,
  /^kubernetes:yaml(\/v2)?:/,
  /^kubernetes:[^:]+:[A-Za-z0-9]+Patch$/,
  /^kubernetes:[^:]+:[A-Za-z0-9]+List$/,
];

/** `kubernetes:apps/v1:Deployment` → { apiVersion: "apps/v1", kind: "Deployment" }; `core/v1` is `v1`. */
export function parseTypeToken(token: string): KubeType {
  const match = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(token);
  if (!match || UNSUPPORTED.some((re) => re.test(token))) {
    throw new Error(
      `resource type ${token} is not implemented by the test environment's stand-in Kubernetes provider ` +
        `(testenv/kubernetes-provider): it deploys plain Kubernetes objects (kubernetes:<group>/<version>:<Kind>) only`,
    );
  }
  const [, group, version, kind] = match;
  return { token, apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** The type segment of a URN: urn:pulumi:stack::project::parent$type::name → type. */
export function typeOfUrn(urn: string): string {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return qualified.split("$").pop() ?? qualified;
}

export function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

export interface ReplaceOptions {
  enableConfigMapMutable: boolean;
  enableSecretMutable: boolean;
}

const startsWith = (path: Path, prefix: Path) => prefix.every((segment, i) => path[i] === segment);

/**
 * Whether changing `path` (a path into the object; `olds` are the old inputs) needs a new object, because Kubernetes rejects the change
 * (immutable fields), or because the official provider replaces it (ConfigMap / Secret data, unless the provider
 * is configured with enableConfigMapMutable / enableSecretMutable).
 */
export function changeNeedsReplace(
  kind: string,
  path: Path,
  olds: Json | undefined,
  options: ReplaceOptions,
): boolean {
  if (path[0] === "kind") return true;
  const spec = path[0] === "spec" ? String(path[1] ?? "") : undefined;
  switch (kind) {
    case "Deployment":
    case "ReplicaSet":
    case "DaemonSet":
      return spec === "selector";
    case "StatefulSet":
      return (
        spec !== undefined &&
        ![
          "replicas",
          "template",
          "updateStrategy",
          "persistentVolumeClaimRetentionPolicy",
          "minReadySeconds",
          "ordinals",
          "revisionHistoryLimit",
        ].includes(spec)
      );
    case "Job":
      return (
        spec !== undefined &&
        ![
          "parallelism",
          "activeDeadlineSeconds",
          "suspend",
          "ttlSecondsAfterFinished",
          "backoffLimit",
        ].includes(spec)
      );
    case "PersistentVolumeClaim":
      return (
        spec !== undefined &&
        !startsWith(path, ["spec", "resources", "requests"]) &&
        !startsWith(path, ["spec", "volumeAttributesClassName"])
      );
    case "PersistentVolume":
      return (
        spec !== undefined &&
        ![
          "capacity",
          "persistentVolumeReclaimPolicy",
          "mountOptions",
          "claimRef",
          "storageClassName",
        ].includes(spec)
      );
    case "Service":
      return spec === "clusterIP" || spec === "clusterIPs";
    case "Pod": {
      if (spec === undefined) return false;
      const imageOfContainer =
        (spec === "containers" || spec === "initContainers") && path.length === 4 && path[3] === "image";
      return !imageOfContainer && !["activeDeadlineSeconds", "tolerations"].includes(spec);
    }
    case "RoleBinding":
    case "ClusterRoleBinding":
      return path[0] === "roleRef";
    case "StorageClass":
      return ["parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"].includes(String(path[0]));
    case "ConfigMap":
      return (
        ["data", "binaryData", "immutable"].includes(String(path[0])) &&
        (getPath(olds, ["immutable"]) === true || !options.enableConfigMapMutable)
      );
    case "Secret":
      if (path[0] === "type") return true;
      return (
        ["data", "stringData", "immutable"].includes(String(path[0])) &&
        (getPath(olds, ["immutable"]) === true || !options.enableSecretMutable)
      );
    default:
      return false;
  }
}

/** Output properties that are always secret, whatever the inputs say. */
export function alwaysSecretOutputs(kind: string): string[] {
  return kind === "Secret" ? ["data", "stringData"] : [];
}

/** Fields the API server owns: removed from outputs (managedFields) or from inputs made from a live object. */
export function stripServerFields(object: Json, forInputs: boolean): Json {
  if (!isObject(object)) return object;
  const out = { ...object };
  if (isObject(out.metadata)) {
    const metadata = { ...out.metadata };
    delete metadata.managedFields;
    if (forInputs) {
      for (const key of [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "selfLink",
        "deletionTimestamp",
      ])
        delete metadata[key];
      if (isObject(metadata.annotations)) {
        const annotations = { ...metadata.annotations };
        delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
        delete annotations["deployment.kubernetes.io/revision"];
        metadata.annotations = annotations;
        if (Object.keys(annotations).length === 0) delete metadata.annotations;
      }
    }
    out.metadata = metadata;
  }
  if (forInputs) delete out.status;
  return out;
}
