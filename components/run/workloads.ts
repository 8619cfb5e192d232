import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "./compose";
import { fieldsWithHiddenValues, type HiddenValue } from "./secret-values";

/** The kinds a translated run may contain, each with the Pulumi resource that manages it. */
const RESOURCE_TYPES: Record<
  string,
  // The manifests are plain data checked by the translator; each class takes its own args shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (name: string, args: any, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource
> = {
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
  "v1/Service": k8s.core.v1.Service,
  "batch/v1/Job": k8s.batch.v1.Job,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "apps/v1/StatefulSet": k8s.apps.v1.StatefulSet,
};

/** Created first, so that what mounts or waits on them finds them. */
const FOUNDATION_KINDS = new Set(["ConfigMap", "Secret", "PersistentVolumeClaim", "Service"]);

/** How a created object is found again: `<Kind>/<name>`. */
export function manifestKey(object: Pick<KubeObject, "kind" | "metadata">): string {
  return `${object.kind}/${object.metadata.name}`;
}

function secretFields(args: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const wrapped = { ...args };
  for (const field of fields) {
    if (wrapped[field] !== undefined) wrapped[field] = pulumi.secret(wrapped[field]);
  }
  return wrapped;
}

/**
 * Services are created before the pods behind them, and the official provider waits for a Service's
 * endpoints (10 s and more per Service with none yet). A run's readiness is its Deployments' rollout
 * and its previews answering, so a Service is not waited for.
 */
function withoutAwait(object: KubeObject): KubeObject {
  const annotations = { ...object.metadata.annotations, "pulumi.com/skipAwait": "true" };
  return { ...object, metadata: { ...object.metadata, annotations } };
}

/**
 * Creates a run's translated manifests as Pulumi resources through the cluster's provider: config,
 * storage and services first, then Jobs (migrations and run-to-completion services, which Pulumi
 * awaits), then the Deployments, which Pulumi awaits until every replica is Ready.
 * Resource names are `<name>-<kind>-<object name>`: compose service names, stable across updates.
 * Returns each resource under its `manifestKey`.
 *
 * A field that still holds one of `hidden` (run values that could not be turned into Secret
 * references: a label, a probe command, a config file made from a variable) is sent and kept as a
 * secret, so the state has it only encrypted.
 */
export function createWorkloads(
  name: string,
  manifests: readonly KubeObject[],
  parent: pulumi.Resource,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
  hidden: readonly HiddenValue[] = [],
): Map<string, pulumi.CustomResource> {
  const create = (object: KubeObject, after: pulumi.Resource[]) => {
    const type = RESOURCE_TYPES[`${object.apiVersion}/${object.kind}`];
    if (!type)
      throw new pulumi.ResourceError(`a run cannot contain a ${object.apiVersion} ${object.kind}`, parent);
    const {
      apiVersion: _apiVersion,
      kind,
      ...args
    } = object.kind === "Service" ? withoutAwait(object) : object;
    // Secret values come from the repository's secret files: keep them encrypted in the state.
    const secret = [
      ...new Set([
        ...(kind === "Secret" ? ["data", "stringData"] : []),
        ...fieldsWithHiddenValues(object, hidden),
      ]),
    ];
    return new type(`${name}-${kind.toLowerCase()}-${object.metadata.name}`, secretFields(args, secret), {
      parent,
      provider,
      dependsOn: after,
      ...(secret.length ? { additionalSecretOutputs: secret } : {}),
    });
  };
  const foundationObjects = manifests.filter((o) => FOUNDATION_KINDS.has(o.kind));
  const jobObjects = manifests.filter((o) => o.kind === "Job");
  const appObjects = manifests.filter((o) => !FOUNDATION_KINDS.has(o.kind) && o.kind !== "Job");
  const ordered = [...foundationObjects, ...jobObjects, ...appObjects];
  const foundation = foundationObjects.map((o) => create(o, dependsOn));
  const jobs = jobObjects.map((o) => create(o, [...dependsOn, ...foundation]));
  const apps = appObjects.map((o) => create(o, [...dependsOn, ...foundation, ...jobs]));
  const all = [...foundation, ...jobs, ...apps];
  return new Map(all.map((resource, i) => [manifestKey(ordered[i]), resource]));
}
