import { GATEWAY_SERVICE_PORT, previewSegment, previewServiceName } from "../gateway/routes";
import { PREVIEW_LABEL } from "./network-policies";
import { type KubeObject, type PublishedPort, publishedHostPort } from "./compose";

/**
 * Edits a run makes to its translated manifests before they are applied. Pure: each takes
 * manifests and returns new ones, leaving the input unchanged.
 */

type Container = { image?: string; envFrom?: unknown[] };
type PodSpec = {
  containers?: Container[];
  initContainers?: Container[];
  imagePullSecrets?: { name: string }[];
};

function podSpecOf(object: KubeObject): PodSpec | undefined {
  const spec = object.spec as { template?: { spec?: PodSpec } } | undefined;
  return object.kind === "Deployment" || object.kind === "StatefulSet" || object.kind === "Job"
    ? spec?.template?.spec
    : undefined;
}

function mapContainers(manifests: readonly KubeObject[], edit: (c: Container) => Container): KubeObject[] {
  return manifests.map((object) => {
    const copy = structuredClone(object);
    const pod = podSpecOf(copy);
    if (pod) {
      pod.containers = pod.containers?.map(edit);
      pod.initContainers = pod.initContainers?.map(edit);
    }
    return copy;
  });
}

/** Points every container that runs a placeholder image at the image that was built for it. */
export function replaceImages(
  manifests: readonly KubeObject[],
  built: ReadonlyMap<string, string>,
): KubeObject[] {
  return mapContainers(manifests, (c) =>
    c.image && built.has(c.image) ? { ...c, image: built.get(c.image) } : c,
  );
}

/**
 * Gives every app container the run's environment from the Secret `secretName` (`envFrom`), so the
 * values live only in that Secret; a variable the service sets itself in `env` wins, as Kubernetes
 * gives `env` precedence over `envFrom`.
 */
export function addRunEnvironment(manifests: readonly KubeObject[], secretName: string): KubeObject[] {
  return manifests.map((object) => {
    const copy = structuredClone(object);
    const pod = podSpecOf(copy);
    if (pod) {
      pod.containers = pod.containers?.map((c) => ({
        ...c,
        envFrom: [...(c.envFrom ?? []), { secretRef: { name: secretName } }],
      }));
    }
    return copy;
  });
}

/**
 * Lets every pod pull with the registry credentials in the Secret `secretName` (hybrid mode: ECR).
 * Set on the pods rather than on a service account: the pods run as the namespace's default account.
 */
export function addImagePullSecret(manifests: readonly KubeObject[], secretName: string): KubeObject[] {
  return manifests.map((object) => {
    const copy = structuredClone(object);
    const pod = podSpecOf(copy);
    if (pod && !pod.imagePullSecrets?.some((s) => s.name === secretName)) {
      pod.imagePullSecrets = [...(pod.imagePullSecrets ?? []), { name: secretName }];
    }
    return copy;
  });
}

/** A NodePort Service that makes one published port reachable from this machine and the gateway. */
export interface PreviewPort {
  /** The compose service. */
  readonly service: string;
  /** The gateway's path segment for this port (`/run-<id>/<segment>/`). */
  readonly segment: string;
  /** The preview Service: `<segment>-preview`. */
  readonly previewServiceName: string;
  /** The port the app listens on, which the preview Service also offers. */
  readonly port: number;
  /**
   * Where the app is expected on the user's machine: the host port compose publishes (8088 of
   * "8088:80"), or `port` when compose names none or a range.
   */
  readonly localPort: number;
  /** HTTP (checked with a request), or TCP (a database, a broker: checked by a connection). */
  readonly protocol: PublishedPort["preview"];
}

/**
 * For every TCP port compose would publish, a NodePort Service beside the service's own, and the
 * preview label on the pods behind it, so the run's network policy lets the preview in. Each
 * preview Service offers the app's own port (local forwarding, NodePort) and the gateway's port.
 */
export function addPreviews(
  manifests: readonly KubeObject[],
  published: readonly PublishedPort[],
): { manifests: KubeObject[]; previews: PreviewPort[] } {
  const result = manifests.map((o) => structuredClone(o));
  const previews: PreviewPort[] = [];
  for (const port of published.filter((p) => p.protocol.toUpperCase() === "TCP")) {
    const service = result.find((o) => o.kind === "Service" && o.metadata.name === port.serviceName);
    const selector = (service?.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!service || !selector) continue;
    const first = !previews.some((p) => p.service === port.service);
    const segment = previewSegment(port.serviceName, port.port, first);
    const previewService = previewServiceName(segment);
    if (previews.some((p) => p.previewServiceName === previewService)) continue;
    result.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { ...service.metadata, name: previewService },
      spec: {
        type: "NodePort",
        selector,
        ports: [
          { name: "preview", port: port.port, targetPort: port.port, protocol: "TCP" },
          ...(port.port === GATEWAY_SERVICE_PORT
            ? []
            : [{ name: "gateway", port: GATEWAY_SERVICE_PORT, targetPort: port.port, protocol: "TCP" }]),
        ],
      },
    });
    for (const object of result) {
      const template = (
        object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined
      )?.template;
      const labels = template?.metadata?.labels;
      if (podSpecOf(object) && labels && Object.entries(selector).every(([k, v]) => labels[k] === v)) {
        labels[PREVIEW_LABEL] = "true";
      }
    }
    previews.push({
      service: port.service,
      segment,
      previewServiceName: previewService,
      port: port.port,
      localPort: publishedHostPort(port.published) ?? port.port,
      protocol: port.preview,
    });
  }
  return { manifests: result, previews };
}
