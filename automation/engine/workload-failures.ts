/**
 * The causes that make waiting for a run's workloads pointless, read from the objects in its namespace.
 * The official Kubernetes provider awaits a rollout until its timeout (10 minutes by default) whatever
 * happens to the pods; these checks see within seconds that it can never succeed, so the engine cancels
 * the update and tells the user why (`rollout-watch.ts`). Pure functions of the API objects.
 */
import type { CoreV1Event, V1ContainerStatus, V1Job, V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import type { EngineFailure } from "./run-engine";

/** A certain failure: its kind, and a reason in words; `logsOf` names a container whose last lines help. */
export interface WorkloadFailure {
  readonly kind: EngineFailure["kind"];
  readonly reason: string;
  readonly logsOf?: { readonly pod: string; readonly container: string; readonly previous: boolean };
}

const IMAGE_FAILURES: Readonly<Record<string, string>> = {
  ErrImageNeverPull: "is not present on the node and the run may not pull it",
  ImagePullBackOff: "cannot be pulled",
  ErrImagePull: "cannot be pulled",
  InvalidImageName: "is not a valid image name",
};

/** A container that exited with an error this many times is crash-looping, whatever the kubelet shows now. */
const CRASHES_BEFORE_GIVING_UP = 2;

function statusesOf(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

function imageOf(pod: V1Pod, container: string, fallback: string): string {
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === container,
  );
  return spec?.image ?? fallback;
}

/** Why this pod will never become ready, or undefined while it still may. */
export function podFailure(pod: V1Pod): WorkloadFailure | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const podName = pod.metadata?.name ?? "";
  for (const status of statusesOf(pod)) {
    const container = status.name;
    const image = imageOf(pod, container, status.image);
    const waiting = status.state?.waiting;
    const reason = waiting?.reason ?? "";
    if (reason in IMAGE_FAILURES) {
      return {
        kind: "deploy",
        reason:
          `an image was not found: container "${container}" of pod ${podName} cannot start: image "${image}" ` +
          `${IMAGE_FAILURES[reason]} (${reason})`,
      };
    }
    const terminatedNow = status.state?.terminated;
    const crashedNow =
      terminatedNow !== undefined &&
      terminatedNow.exitCode !== 0 &&
      status.restartCount >= CRASHES_BEFORE_GIVING_UP;
    if (reason === "CrashLoopBackOff" || crashedNow) {
      const last = crashedNow ? terminatedNow : status.lastState?.terminated;
      const exit = last ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}` : "";
      return {
        kind: "deploy",
        reason:
          `a container keeps crashing: container "${container}" of pod ${podName} (image "${image}") is in ` +
          `CrashLoopBackOff, restarted ${status.restartCount} times${exit}`,
        logsOf: { pod: podName, container, previous: !crashedNow },
      };
    }
  }
  return undefined;
}

/** A Job that failed for good (its `Failed` condition), with the pod whose logs say why. */
export function jobFailure(job: V1Job, pods: readonly V1Pod[]): WorkloadFailure | undefined {
  const failed = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  if (!failed) return undefined;
  const name = job.metadata?.name ?? "";
  const owned = pods.filter((p) => p.metadata?.ownerReferences?.some((o) => o.uid === job.metadata?.uid));
  const pod = owned.find((p) => p.status?.phase === "Failed") ?? owned.at(-1);
  const container = pod?.spec?.containers[0]?.name;
  return {
    kind: "deploy",
    reason: `job ${name} failed: ${failed.reason ?? "Failed"}: ${failed.message ?? ""}`.trimEnd(),
    ...(pod && container ? { logsOf: { pod: pod.metadata!.name!, container, previous: false } } : {}),
  };
}

/**
 * A controller that cannot create its pods: a `FailedCreate` warning about one of `controllers`, the
 * ReplicaSets, StatefulSets and Jobs this update created (one an earlier update left keeps retrying,
 * and its events keep coming). Quota and LimitRange refusals are "quota"; PodSecurity is "deploy".
 */
export function createFailure(
  events: readonly CoreV1Event[],
  controllers: ReadonlySet<string>,
): WorkloadFailure | undefined {
  for (const event of events) {
    if (event.type !== "Warning" || event.reason !== "FailedCreate") continue;
    if (!event.involvedObject.uid || !controllers.has(event.involvedObject.uid)) continue;
    const message = event.message ?? "";
    const what = `${event.involvedObject.kind?.toLowerCase() ?? "controller"} ${event.involvedObject.name ?? ""}`;
    const quota =
      /exceeded quota: ([\w-]+)[^\n]*?(requested: [^\n,]+(?:, used: [^\n,]+)?(?:, limited: [^\n]+)?)/i.exec(
        message,
      );
    if (quota) {
      return { kind: "quota", reason: `the run asks for more than its quota ${quota[1]} (${quota[2]})` };
    }
    const limit = /(maximum [^\n]+ per Container is [^\n.]+)/i.exec(message);
    if (limit) return { kind: "quota", reason: `a container asks for more than a run allows: ${limit[1]}` };
    const podSecurity = /violates PodSecurity[^\n]*/i.exec(message);
    if (podSecurity)
      return { kind: "deploy", reason: `Pod Security refused a pod of ${what}: ${podSecurity[0]}` };
    return { kind: "deploy", reason: `${what} cannot create its pods: ${message}` };
  }
  return undefined;
}

/** A namespace's objects at one moment, as the watch lists them. */
export interface NamespaceObjects {
  readonly pods: readonly V1Pod[];
  readonly jobs: readonly V1Job[];
  /** ReplicaSets and StatefulSets: the controllers whose FailedCreate events count, with the Jobs. */
  readonly controllers: readonly { readonly metadata?: V1ObjectMeta }[];
  readonly events: readonly CoreV1Event[];
}

/** The uids of the pods, Jobs and controllers in `objects`. */
export function objectUids(objects: Omit<NamespaceObjects, "events">): Set<string> {
  const all = [...objects.pods, ...objects.jobs, ...objects.controllers];
  return new Set(all.map((o) => o.metadata?.uid).filter((uid): uid is string => Boolean(uid)));
}

/**
 * The first certain failure among a namespace's pods, Jobs and controllers that were not there when
 * this update began (`before`, their uids). Those are an earlier update's: pods it is replacing, or
 * workloads this update does not touch, which the provider does not wait for.
 */
export function namespaceFailure(
  now: NamespaceObjects,
  before: ReadonlySet<string>,
): WorkloadFailure | undefined {
  const isNew = (o: { readonly metadata?: V1ObjectMeta }) => !before.has(o.metadata?.uid ?? "");
  for (const job of now.jobs.filter(isNew)) {
    const failure = jobFailure(job, now.pods);
    if (failure) return failure;
  }
  for (const pod of now.pods.filter(isNew)) {
    const failure = podFailure(pod);
    if (failure) return failure;
  }
  const created = objectUids({
    pods: [],
    jobs: now.jobs.filter(isNew),
    controllers: now.controllers.filter(isNew),
  });
  return createFailure(now.events, created);
}
