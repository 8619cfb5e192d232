import { type Labels, runLabels, selectorLabels } from "../../labels";
import type { Findings } from "./issues";
import type { KubeObject, ServicePort, StringMap } from "./kube-types";
import type { ComposeModel, FileObject, ServiceModel } from "./model";
import { toDnsLabel } from "./names";
import { objectNames, podSpecFor, portName } from "./pod-spec";
import { type PreviewProtocol, previewProtocol } from "./preview-protocol";
import { runToCompletion, waitContainers } from "./start-order";

/** Options for turning the model into manifests. */
export interface ManifestOptions {
  /** The run id; objects go into namespace `run-<id>` and carry the run's labels. */
  readonly runId: string;
  /** A small image with `sh`, `nc` and `nslookup`, for the containers that wait on dependencies. */
  readonly waitImage: string;
  /** The cluster's DNS domain, used to wait on services without ports. */
  readonly clusterDomain: string;
  /** Size requested for each named volume's PersistentVolumeClaim. */
  readonly volumeSize: string;
}

/** A port compose would publish on the host, which the caller may offer as a preview. */
export interface PublishedPort {
  readonly service: string;
  /** The Kubernetes Service that reaches it. */
  readonly serviceName: string;
  readonly port: number;
  readonly protocol: string;
  /** The host port compose would use (may be a range or empty for "any"). */
  readonly published: string;
  /** How the preview is checked and offered: HTTP, or a TCP endpoint that must accept a connection. */
  readonly preview: PreviewProtocol;
}

/** The manifests for a model, and the ports compose would publish. */
export interface Manifests {
  readonly manifests: KubeObject[];
  readonly published: PublishedPort[];
}

/** Label keys/values Kubernetes accepts as annotation keys (a qualified name, optional DNS prefix). */
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Builds the Kubernetes objects for a compose model: per service a Deployment (or a Job for a
 * service others wait on to complete) and a ClusterIP Service named like the compose service (plus
 * one per alias), a PersistentVolumeClaim per named volume, and ConfigMaps and Secrets for configs,
 * secrets and bind-mounted repository files. Every object carries the run's labels.
 */
export function toManifests(model: ComposeModel, options: ManifestOptions, findings: Findings): Manifests {
  const namespace = `run-${options.runId}`;
  const byName = new Map(model.services.map((service) => [service.name, service]));
  const jobs = runToCompletion(model.services);
  const firstUser = (predicate: (service: ServiceModel) => boolean): string =>
    model.services.find(predicate)?.kubeName ?? "app";
  const metadata = (name: string, labels: Labels, annotations?: StringMap) => ({
    name,
    namespace,
    labels,
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  });

  const manifests: KubeObject[] = [];
  for (const service of model.services) {
    const labels = runLabels(options.runId, service.kubeName);
    const initContainers = waitContainers(
      service,
      byName,
      jobs,
      { namespace, clusterDomain: options.clusterDomain, image: options.waitImage },
      findings,
    );
    const podAnnotations = podAnnotationsFor(service, findings);
    const template = (restartPolicy?: "Never") => ({
      metadata: { labels, ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}) },
      spec: podSpecFor(service, initContainers, restartPolicy),
    });
    manifests.push(...repoFileConfigMaps(service, metadata, labels));
    if (jobs.has(service.name)) {
      findings.warn(
        `services.${service.name}`,
        "runs once as a Job, because another service waits for it to complete successfully",
      );
      manifests.push({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: metadata(service.kubeName, labels),
        spec: { backoffLimit: jobRetries(service), template: template("Never") },
      });
    } else {
      warnAboutRestart(service, findings);
      const usesClaim = service.mounts.some((mount) => mount.kind === "volume");
      manifests.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata(service.kubeName, labels),
        spec: {
          replicas: service.replicas,
          selector: { matchLabels: selectorLabels(labels) },
          // A ReadWriteOnce claim cannot be held by the old and the new pod at once: stop, then start, as compose does.
          ...(usesClaim ? { strategy: { type: "Recreate" } } : {}),
          template: template(),
        },
      });
    }
    const ports: ServicePort[] = service.ports.map((port) => ({
      name: port.name ?? portName(port.protocol, port.target),
      port: port.target,
      targetPort: port.target,
      protocol: port.protocol,
      ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    }));
    // On a compose network every port of a container is reachable by its name, declared or not. A
    // service that declares none gets a headless Service: its name resolves to the ready pods'
    // addresses, so any port works, as in compose.
    const spec = ports.length
      ? { type: "ClusterIP", selector: selectorLabels(labels), ports }
      : { clusterIP: "None", selector: selectorLabels(labels) };
    // A container_name or alias may be the service's own name again: one Service per name.
    for (const serviceName of new Set([service.kubeName, ...service.aliases.map(toDnsLabel)])) {
      manifests.push({ apiVersion: "v1", kind: "Service", metadata: metadata(serviceName, labels), spec });
    }
  }
  for (const volume of model.volumes.values()) {
    const labels = runLabels(
      options.runId,
      firstUser((s) => s.mounts.some((m) => m.kind === "volume" && m.volume === volume.name)),
    );
    manifests.push({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(objectNames.volume(volume.name), labels, volume.labels),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: options.volumeSize } } },
    });
  }
  for (const kind of ["config", "secret"] as const) {
    for (const object of (kind === "config" ? model.configs : model.secrets).values()) {
      const labels = runLabels(
        options.runId,
        firstUser((s) => s.mounts.some((m) => m.kind === kind && m.name === object.name)),
      );
      const name = kind === "config" ? objectNames.config(object.name) : objectNames.secret(object.name);
      manifests.push(
        kind === "config"
          ? {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: metadata(name, labels),
              ...configMapData([object]),
            }
          : {
              apiVersion: "v1",
              kind: "Secret",
              metadata: metadata(name, labels),
              type: "Opaque",
              data: { [object.key]: object.content.toString("base64") },
            },
      );
    }
  }
  // Objects above share sub-objects (labels, probe commands, Service specs); hand out independent
  // copies so a caller that edits one manifest does not edit another.
  return {
    manifests: manifests.map((item) => JSON.parse(JSON.stringify(item)) as KubeObject),
    published: publishedPorts(model),
  };
}

function repoFileConfigMaps(
  service: ServiceModel,
  metadata: (name: string, labels: Labels) => KubeObject["metadata"],
  labels: Labels,
): KubeObject[] {
  return service.mounts.flatMap((mount, index) =>
    mount.kind === "repoFiles"
      ? [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: {
              ...metadata(objectNames.repoFiles(service, index), labels),
              annotations: { "reporunner.dev/source": mount.source },
            },
            ...configMapData(mount.files.map((file) => ({ name: file.key, ...file }))),
          },
        ]
      : [],
  );
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Text files go in `data`, anything that is not UTF-8 in `binaryData`. */
function configMapData(files: readonly FileObject[]): { data?: StringMap; binaryData?: StringMap } {
  // Entries, then fromEntries: a repository file may be called __proto__.
  const data: Array<[string, string]> = [];
  const binaryData: Array<[string, string]> = [];
  for (const file of files) {
    try {
      if (file.content.includes(0)) throw new Error("binary");
      data.push([file.key, UTF8.decode(file.content)]);
    } catch {
      binaryData.push([file.key, file.content.toString("base64")]);
    }
  }
  return {
    ...(data.length ? { data: Object.fromEntries(data) } : {}),
    ...(binaryData.length ? { binaryData: Object.fromEntries(binaryData) } : {}),
  };
}

function podAnnotationsFor(service: ServiceModel, findings: Findings): StringMap {
  const annotations: StringMap = {};
  for (const [key, value] of Object.entries(service.annotations)) {
    if (QUALIFIED_NAME.test(key)) annotations[key] = value;
    else
      findings.warn(
        `services.${service.name}.labels.${key}`,
        "left out: it is not a valid Kubernetes annotation key",
      );
  }
  return annotations;
}

/** `restart: "no"` runs once; `on-failure:N` retries N times; Docker retries on-failure forever. */
function jobRetries(service: ServiceModel): number {
  if (service.restart?.kind !== "on-failure") return 0;
  return service.restart.maxRetries ?? 6;
}

function warnAboutRestart(service: ServiceModel, findings: Findings): void {
  const kind = service.restart?.kind;
  if (kind === "no" || kind === "on-failure") {
    findings.warn(
      `services.${service.name}.restart`,
      `${kind} is not kept: a Deployment restarts its container whenever it exits`,
    );
  }
}

function publishedPorts(model: ComposeModel): PublishedPort[] {
  return model.services.flatMap((service) =>
    service.ports
      .filter((port) => port.published !== undefined)
      .map((port) => ({
        service: service.name,
        serviceName: service.kubeName,
        port: port.target,
        protocol: port.protocol,
        published: port.published!,
        preview: previewProtocol(port),
      })),
  );
}
