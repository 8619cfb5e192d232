/**
 * The labels that cross boundaries: every Kubernetes object RepoRunner creates carries them, so a
 * sweeper can find what no stack owns and `kubectl get -l` finds what a run or a service made.
 */

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "reporunner";
export const RUN_ID_LABEL = "reporunner.dev/run-id";
export const PART_OF = "reporunner";

export type Labels = Record<string, string>;

/** Labels for an object that belongs to RepoRunner itself (the platform and its infra services). */
export function platformLabels(component: string, name: string): Labels {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": PART_OF,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
}

/** Labels for an object that belongs to one run; `service` names the compose service or `app`. */
export function runLabels(runId: string, service: string): Labels {
  return {
    "app.kubernetes.io/name": service,
    "app.kubernetes.io/instance": `run-${runId}`,
    "app.kubernetes.io/part-of": PART_OF,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [RUN_ID_LABEL]: runId,
  };
}

/** The subset of labels a selector matches on: stable for the life of the object, never a version. */
export function selectorLabels(labels: Labels): Labels {
  const { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance } = labels;
  return instance
    ? { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance }
    : { "app.kubernetes.io/name": name };
}
