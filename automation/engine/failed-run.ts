/**
 * What a FAILED run keeps: every object, for inspection (`kubectl describe`, its events, its volumes'
 * data, the Services and ConfigMaps it made), until the run is destroyed or its TTL ends, but nothing
 * running. Its Deployments and StatefulSets are scaled to 0 and its unfinished Jobs suspended once the
 * failure's cause (with the crashed container's last log lines) is captured, so no pod goes on
 * crash-looping for an hour. Each object remembers what it had in an annotation, and a redeploy gives
 * it back before `pulumi up`, so the cluster matches the stack's state again.
 */
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1ManagedFieldsEntry,
} from "@kubernetes/client-node";

/** On a stopped object: its replica count before the failure, or `suspend` for a Job. */
export const STOPPED_ANNOTATION = "reporunner.dev/stopped-after-failure";
/** The field manager of these patches, apart from the provider's. */
const FIELD_MANAGER = "reporunner-failed-run";

export interface RunNamespace {
  /** The kubeconfig file's text, and its context to use (default its current one). */
  readonly kubeconfig: string;
  readonly kubeContext?: string;
  readonly namespace: string;
}

interface Workload {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name?: string;
    readonly annotations?: Record<string, string>;
    readonly managedFields?: V1ManagedFieldsEntry[];
  };
  readonly spec?: { readonly replicas?: number; readonly suspend?: boolean };
  readonly status?: { readonly conditions?: ReadonlyArray<{ type: string; status: string }> };
}

const KINDS = [
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["batch/v1", "Job"],
] as const;

/**
 * Scales the run's Deployments and StatefulSets to 0 and suspends its unfinished Jobs. Returns what
 * it stopped (`Deployment/web`); nothing when the namespace is gone or was never made.
 */
export async function stopRunWorkloads(run: RunNamespace): Promise<string[]> {
  const client = objectApi(run);
  const stopped: string[] = [];
  for (const workload of await workloadsOf(client, run.namespace)) {
    const annotations = workload.metadata.annotations ?? {};
    if (annotations[STOPPED_ANNOTATION] !== undefined) continue;
    let change: { spec: object; was: string } | undefined;
    if (workload.kind === "Job") {
      const finished = workload.status?.conditions?.some(
        (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
      );
      if (!finished && !workload.spec?.suspend) change = { spec: { suspend: true }, was: "suspend" };
    } else {
      const replicas = workload.spec?.replicas ?? 1;
      if (replicas > 0) change = { spec: { replicas: 0 }, was: String(replicas) };
    }
    if (!change) continue;
    await patch(client, run.namespace, workload, { [STOPPED_ANNOTATION]: change.was }, change.spec);
    stopped.push(`${workload.kind}/${workload.metadata.name}`);
  }
  return stopped;
}

/** Gives back what {@link stopRunWorkloads} took: replica counts, and Jobs unsuspended. Returns what it resumed. */
export async function resumeRunWorkloads(run: RunNamespace): Promise<string[]> {
  const client = objectApi(run);
  const resumed: string[] = [];
  for (const workload of await workloadsOf(client, run.namespace)) {
    const was = workload.metadata.annotations?.[STOPPED_ANNOTATION];
    if (was === undefined) continue;
    const replicas = Number.parseInt(was, 10);
    const spec = workload.kind === "Job" ? { suspend: false } : { replicas: replicas >= 0 ? replicas : 1 };
    const after = await patch(client, run.namespace, workload, { [STOPPED_ANNOTATION]: null }, spec);
    // The stop made this manager the owner of the replica count; let go of it, so the stack's next
    // apply sets it as it pleases instead of meeting a conflict on a field someone else holds.
    const fields = after.metadata.managedFields ?? [];
    const kept = fields.filter((entry) => entry.manager !== FIELD_MANAGER);
    if (kept.length < fields.length) {
      await client.patch(
        {
          apiVersion: workload.apiVersion,
          kind: workload.kind,
          metadata: { name: workload.metadata.name, namespace: run.namespace, managedFields: kept },
        } as never,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    }
    resumed.push(`${workload.kind}/${workload.metadata.name}`);
  }
  return resumed;
}

function objectApi(run: RunNamespace): KubernetesObjectApi {
  const config = new KubeConfig();
  config.loadFromString(run.kubeconfig);
  if (run.kubeContext) config.setCurrentContext(run.kubeContext);
  return KubernetesObjectApi.makeApiClient(config);
}

async function workloadsOf(client: KubernetesObjectApi, namespace: string): Promise<Workload[]> {
  const all: Workload[] = [];
  for (const [apiVersion, kind] of KINDS) {
    try {
      const list = await client.list<Workload>(apiVersion, kind, namespace);
      all.push(...list.items.map((item) => ({ ...item, apiVersion, kind })));
    } catch (error) {
      // No namespace: a run refused before anything was made, or one destroyed meanwhile.
      if ((error as { code?: number }).code === 404) return [];
      throw error;
    }
  }
  return all;
}

async function patch(
  client: KubernetesObjectApi,
  namespace: string,
  workload: Workload,
  annotations: Record<string, string | null>,
  spec: object,
): Promise<Workload> {
  return client.patch(
    {
      apiVersion: workload.apiVersion,
      kind: workload.kind,
      metadata: { name: workload.metadata.name, namespace, annotations },
      spec,
    } as never,
    undefined,
    undefined,
    FIELD_MANAGER,
    undefined,
    PatchStrategy.MergePatch,
  );
}
