import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "./compose";

/** The kinds a translated run may contain, each with the Pulumi resource that manages it. */
const RESOURCE_TYPES: Record<string, new (name: string, args: any, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource> = {
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

/**
 * Creates a run's translated manifests as Pulumi resources through the cluster's provider: config,
 * storage and services first, then Jobs (migrations and run-to-completion services, which Pulumi
 * awaits), then the Deployments, which Pulumi awaits until every replica is Ready.
 * Resource names are `<name>-<kind>-<object name>`: compose service names, stable across updates.
 */
export function createWorkloads(
  name: string,
  manifests: readonly KubeObject[],
  parent: pulumi.Resource,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): pulumi.CustomResource[] {
  const create = (object: KubeObject, after: pulumi.Resource[]) => {
    const type = RESOURCE_TYPES[`${object.apiVersion}/${object.kind}`];
    if (!type) throw new pulumi.ResourceError(`a run cannot contain a ${object.apiVersion} ${object.kind}`, parent);
    const { apiVersion: _apiVersion, kind, ...args } = object;
    // Secret values come from the repository's secret files: keep them encrypted in the state.
    const input = kind === "Secret" ? { ...args, data: pulumi.secret(args.data), stringData: pulumi.secret(args.stringData) } : args;
    return new type(`${name}-${kind.toLowerCase()}-${object.metadata.name}`, input, { parent, provider, dependsOn: after });
  };
  const foundation = manifests.filter((o) => FOUNDATION_KINDS.has(o.kind)).map((o) => create(o, dependsOn));
  const jobs = manifests.filter((o) => o.kind === "Job").map((o) => create(o, [...dependsOn, ...foundation]));
  const apps = manifests
    .filter((o) => !FOUNDATION_KINDS.has(o.kind) && o.kind !== "Job")
    .map((o) => create(o, [...dependsOn, ...foundation, ...jobs]));
  return [...foundation, ...jobs, ...apps];
}
