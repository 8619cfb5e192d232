/**
 * Waiting for objects to become ready after create/update, and to be gone after delete.
 *
 * Readiness follows the official provider's rules (Deployment, StatefulSet, Job, Pod, Namespace; other kinds are
 * ready once applied). Unlike the official provider, which would only time out, a wait fails at once, naming the
 * cause, when the outcome is certain: pods refused by a ResourceQuota, LimitRange or PodSecurity admission, an
 * image that cannot be pulled, a container in CrashLoopBackOff (with its last log lines), a failed Job.
 */
import { KubeClient, selectorString, type KubeObject } from "./client";
import { getPath, getString, isObject, type Json, type JsonObject } from "./values";

export interface Reporter {
  /** A transient status line shown next to the resource while it waits. */
  status(message: string): void;
  /** A lasting message (warnings from the API server, for instance). */
  warn(message: string): void;
}

export interface AwaitOptions {
  client: KubeClient;
  reporter: Reporter;
  /** Epoch ms after which the wait fails. */
  deadline: number;
  /** Epoch ms when the apply was sent: older events are not about this change. */
  since: number;
  isCancelled: () => boolean;
  /** Poll interval in ms. */
  intervalMs?: number;
}

/** The wait ended badly: a certain failure, a timeout or a cancellation. */
export class AwaitError extends Error {}

interface Progress {
  done: boolean;
  message: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const num = (value: Json | undefined, fallback = 0) => (typeof value === "number" ? value : fallback);

export function describe(object: KubeObject): string {
  const ns = getString(object, ["metadata", "namespace"]);
  const name = getString(object, ["metadata", "name"]) ?? "";
  return `${object.kind} ${ns ? `${ns}/` : ""}${name}`;
}

function conditionOf(object: Json, type: string): JsonObject | undefined {
  const conditions = getPath(object, ["status", "conditions"]);
  return Array.isArray(conditions)
    ? conditions.filter(isObject).find((c) => c.type === type && c.status === "True")
    : undefined;
}

function ownedBy(object: KubeObject, uid: Json | undefined): boolean {
  const owners = getPath(object, ["metadata", "ownerReferences"]);
  return Array.isArray(owners) && owners.some((o) => isObject(o) && o.uid === uid);
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}` : `${s}s`;
}

async function poll(
  what: string,
  opts: AwaitOptions,
  step: () => Promise<Progress>,
  timeoutMessage: (last: string) => Promise<string> | string = (last) => last,
): Promise<void> {
  const started = Date.now();
  let last = "";
  let interval = opts.intervalMs ?? 1_000;
  for (;;) {
    if (opts.isCancelled()) throw new AwaitError(`cancelled while waiting for ${what}`);
    const progress = await step();
    if (progress.done) return;
    if (progress.message !== last) {
      last = progress.message;
      opts.reporter.status(`${what}: ${last}`);
    }
    if (Date.now() >= opts.deadline) {
      throw new AwaitError(
        `timed out after ${minutes(Date.now() - started)} waiting for ${what}: ${await timeoutMessage(last)}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, opts.deadline - Date.now())));
    interval = Math.min(interval * 1.25, 3_000);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pods: the causes that make waiting pointless.

const IMAGE_FAILURES: Record<string, string> = {
  ErrImageNeverPull: "is not present on the node and imagePullPolicy is Never",
  ImagePullBackOff: "cannot be pulled",
  InvalidImageName: "is not a valid image name",
};

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** The image a container of the pod asks for (its status may name another tag of the same image). */
function imageOf(pod: KubeObject, container: string): string {
  for (const list of ["initContainers", "containers"]) {
    const specs = getPath(pod, ["spec", list]);
    const spec = Array.isArray(specs) ? specs.filter(isObject).find((c) => c.name === container) : undefined;
    if (spec && typeof spec.image === "string") return spec.image;
  }
  return "";
}

/**
 * Why a pod will never become ready, or undefined while it still may. A container counts as crash-looping when
 * it is in CrashLoopBackOff, or when it has just exited with an error for the third time (the kubelet shows
 * CrashLoopBackOff only some of the time between restarts).
 */
export async function podFailure(client: KubeClient, pod: KubeObject): Promise<string | undefined> {
  const ns = getString(pod, ["metadata", "namespace"]) ?? "";
  const name = getString(pod, ["metadata", "name"]) ?? "";
  const statuses = [
    ...((getPath(pod, ["status", "initContainerStatuses"]) as Json[] | undefined) ?? []),
    ...((getPath(pod, ["status", "containerStatuses"]) as Json[] | undefined) ?? []),
  ].filter(isObject);
  for (const status of statuses) {
    const container = String(status.name);
    const image = imageOf(pod, container) || String(status.image);
    const waiting = getPath(status, ["state", "waiting"]);
    const reason = getString(waiting, ["reason"]) ?? "";
    const detail = getString(waiting, ["message"]);
    if (reason in IMAGE_FAILURES) {
      return (
        `pod ${ns}/${name}: container "${container}" cannot start: image "${image}" ` +
        `${IMAGE_FAILURES[reason]} (${reason})${detail ? `: ${detail}` : ""}`
      );
    }
    const restarts = num(status.restartCount);
    const exitedNow = getPath(status, ["state", "terminated"]);
    const crashedNow =
      exitedNow !== undefined && num(getPath(exitedNow, ["exitCode"])) !== 0 && restarts >= 2;
    if (reason === "CrashLoopBackOff" || crashedNow) {
      const terminated = crashedNow ? exitedNow : getPath(status, ["lastState", "terminated"]);
      const exit = terminated
        ? `; last exit code ${num(getPath(terminated, ["exitCode"]))}` +
          `${getString(terminated, ["reason"]) ? ` (${getString(terminated, ["reason"])})` : ""}`
        : "";
      // The kubelet may restart the container between the status we read and this call: then the
      // lines are in the other run (previous ↔ current).
      const logs =
        (await client.logs(ns, name, container, 10, !crashedNow)) ||
        (await client.logs(ns, name, container, 10, crashedNow));
      return (
        `pod ${ns}/${name}: container "${container}" (image "${image}") is crash-looping (CrashLoopBackOff, ` +
        `restarted ${restarts} times${exit})` +
        (logs ? `; its last log lines:\n${indent(logs)}` : "; it logged nothing")
      );
    }
  }
  return undefined;
}

/** A short account of why a pod is not ready yet (for status lines and timeouts). */
function podWaitingReason(pod: KubeObject): string | undefined {
  const name = getString(pod, ["metadata", "name"]);
  const unschedulable = getPath(pod, ["status", "conditions"]);
  if (Array.isArray(unschedulable)) {
    const scheduled = unschedulable
      .filter(isObject)
      .find((c) => c.type === "PodScheduled" && c.status === "False");
    if (scheduled) return `pod ${name} is not scheduled: ${String(scheduled.message ?? scheduled.reason)}`;
  }
  const statuses = [
    ...((getPath(pod, ["status", "initContainerStatuses"]) as Json[] | undefined) ?? []),
    ...((getPath(pod, ["status", "containerStatuses"]) as Json[] | undefined) ?? []),
  ].filter(isObject);
  for (const status of statuses) {
    const waiting = getPath(status, ["state", "waiting"]);
    if (waiting) {
      const reason = getString(waiting, ["reason"]);
      const message = getString(waiting, ["message"]);
      return `pod ${name}: container ${String(status.name)} ${reason ?? "waiting"}${message ? `: ${message}` : ""}`;
    }
    if (getPath(status, ["state", "running"]) && status.ready !== true)
      return `pod ${name}: container ${String(status.name)} running, not ready`;
  }
  const phase = getString(pod, ["status", "phase"]);
  return phase && phase !== "Running" ? `pod ${name} is ${phase}` : undefined;
}

async function checkPods(client: KubeClient, pods: KubeObject[]): Promise<string | undefined> {
  for (const pod of pods) {
    const failure = await podFailure(client, pod);
    if (failure) return failure;
  }
  return undefined;
}

/** Warning events saying the controller could not create a pod (quota, LimitRange, PodSecurity, ...). */
async function failedCreate(
  client: KubeClient,
  object: KubeObject,
  since: number,
): Promise<string | undefined> {
  const ns = getString(object, ["metadata", "namespace"]);
  const uid = getString(object, ["metadata", "uid"]);
  if (!uid) return undefined;
  const events = await client.list("v1", "Event", ns, { fieldSelector: `involvedObject.uid=${uid}` });
  const recent = events.filter((e) => {
    const at = getString(e, ["lastTimestamp"]) ?? getString(e, ["eventTime"]) ?? "";
    return (
      e.type === "Warning" && e.reason === "FailedCreate" && Date.parse(at) >= Math.floor(since / 1000) * 1000
    );
  });
  const event = recent.pop();
  return event ? getString(event, ["message"]) : undefined;
}

async function podsOf(client: KubeClient, object: KubeObject, ownerUid?: Json): Promise<KubeObject[]> {
  const selector = selectorString(getPath(object, ["spec", "selector"]));
  if (!selector) return [];
  const ns = getString(object, ["metadata", "namespace"]);
  const pods = await client.list("v1", "Pod", ns, { labelSelector: selector });
  return ownerUid === undefined ? pods : pods.filter((p) => ownedBy(p, ownerUid));
}

function firstWaiting(pods: KubeObject[]): string {
  for (const pod of pods) {
    const reason = podWaitingReason(pod);
    if (reason) return `; ${reason}`;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness per kind.

async function deploymentProgress(client: KubeClient, live: KubeObject): Promise<Progress> {
  const what = describe(live);
  const generation = num(getPath(live, ["metadata", "generation"]));
  const observed = num(getPath(live, ["status", "observedGeneration"]));
  if (observed < generation)
    return { done: false, message: "waiting for the controller to see the new spec" };
  const stalled = getPath(live, ["status", "conditions"]);
  if (Array.isArray(stalled)) {
    const progressing = stalled.filter(isObject).find((c) => c.type === "Progressing");
    if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded")
      throw new AwaitError(`${what} exceeded its progress deadline: ${String(progressing.message)}`);
  }
  const replicas = num(getPath(live, ["spec", "replicas"]), 1);
  const revision = getString(live, ["metadata", "annotations", "deployment.kubernetes.io/revision"]);
  const ns = getString(live, ["metadata", "namespace"]);
  const selector = selectorString(getPath(live, ["spec", "selector"]));
  const replicaSets = (await client.list("apps/v1", "ReplicaSet", ns, { labelSelector: selector })).filter(
    (rs) => ownedBy(rs, live.metadata.uid),
  );
  const current = replicaSets.find(
    (rs) => getString(rs, ["metadata", "annotations", "deployment.kubernetes.io/revision"]) === revision,
  );
  let pods: KubeObject[] = [];
  if (current) {
    const failure = conditionOf(current, "ReplicaFailure");
    if (failure)
      throw new AwaitError(`${what} cannot create its pods: ${String(failure.message ?? failure.reason)}`);
    pods = await podsOf(client, live, current.metadata.uid);
    const podProblem = await checkPods(client, pods);
    if (podProblem) throw new AwaitError(`${what} will not become ready: ${podProblem}`);
  }
  const updated = num(getPath(live, ["status", "updatedReplicas"]));
  const available = num(getPath(live, ["status", "availableReplicas"]));
  const ready = num(getPath(live, ["status", "readyReplicas"]));
  const total = num(getPath(live, ["status", "replicas"]));
  const done = updated === replicas && available >= replicas && ready >= replicas && total === replicas;
  const old = total > updated ? `, ${total - updated} old replica(s) terminating` : "";
  return {
    done,
    message: `${available}/${replicas} replicas available, ${updated} updated${old}${firstWaiting(pods)}`,
  };
}

async function statefulSetProgress(client: KubeClient, live: KubeObject, since: number): Promise<Progress> {
  const what = describe(live);
  const generation = num(getPath(live, ["metadata", "generation"]));
  const observed = num(getPath(live, ["status", "observedGeneration"]));
  if (observed < generation)
    return { done: false, message: "waiting for the controller to see the new spec" };
  const failure = conditionOf(live, "ReplicaFailure");
  if (failure)
    throw new AwaitError(`${what} cannot create its pods: ${String(failure.message ?? failure.reason)}`);
  const failedEvent = await failedCreate(client, live, since);
  if (failedEvent) throw new AwaitError(`${what} cannot create its pods: ${failedEvent}`);
  const pods = await podsOf(client, live, live.metadata.uid);
  const podProblem = await checkPods(client, pods);
  if (podProblem) throw new AwaitError(`${what} will not become ready: ${podProblem}`);
  const replicas = num(getPath(live, ["spec", "replicas"]), 1);
  const ready = num(getPath(live, ["status", "readyReplicas"]));
  const updated = num(getPath(live, ["status", "updatedReplicas"]));
  const onDelete = getString(live, ["spec", "updateStrategy", "type"]) === "OnDelete";
  const currentRevision = getString(live, ["status", "currentRevision"]);
  const updateRevision = getString(live, ["status", "updateRevision"]);
  const rolledOut = onDelete || (currentRevision !== undefined && currentRevision === updateRevision);
  const done = ready === replicas && rolledOut && num(getPath(live, ["status", "replicas"])) === replicas;
  return {
    done,
    message: `${ready}/${replicas} replicas ready, ${updated} updated${rolledOut ? "" : ", rolling out"}${firstWaiting(pods)}`,
  };
}

async function jobProgress(client: KubeClient, live: KubeObject, since: number): Promise<Progress> {
  const what = describe(live);
  if (conditionOf(live, "Complete")) return { done: true, message: "complete" };
  const pods = await podsOf(client, live);
  const failed = conditionOf(live, "Failed");
  if (failed) {
    let logs = "";
    const failedPod = pods.filter((p) => getString(p, ["status", "phase"]) === "Failed").pop() ?? pods.pop();
    if (failedPod) {
      const podName = getString(failedPod, ["metadata", "name"]) ?? "";
      const containers = (getPath(failedPod, ["spec", "containers"]) as Json[] | undefined) ?? [];
      const container = getString(containers[0], ["name"]) ?? "";
      const text = await client.logs(
        getString(live, ["metadata", "namespace"]) ?? "",
        podName,
        container,
        10,
      );
      logs = text ? `; last log lines of pod ${podName}:\n${indent(text)}` : "";
    }
    throw new AwaitError(`${what} failed: ${String(failed.reason)}: ${String(failed.message ?? "")}${logs}`);
  }
  if (getPath(live, ["spec", "suspend"]) === true) return { done: true, message: "suspended" };
  const failedEvent = await failedCreate(client, live, since);
  if (failedEvent) throw new AwaitError(`${what} cannot create its pods: ${failedEvent}`);
  const podProblem = await checkPods(client, pods);
  if (podProblem) throw new AwaitError(`${what} will not complete: ${podProblem}`);
  const completions = num(getPath(live, ["spec", "completions"]), 1);
  const succeeded = num(getPath(live, ["status", "succeeded"]));
  const active = num(getPath(live, ["status", "active"]));
  const failures = num(getPath(live, ["status", "failed"]));
  return {
    done: false,
    message: `${succeeded}/${completions} completions, ${active} active, ${failures} failed${firstWaiting(pods)}`,
  };
}

async function podProgress(client: KubeClient, live: KubeObject): Promise<Progress> {
  const what = describe(live);
  const phase = getString(live, ["status", "phase"]);
  if (phase === "Succeeded" || conditionOf(live, "Ready")) return { done: true, message: "ready" };
  if (phase === "Failed") {
    throw new AwaitError(
      `${what} failed: ${getString(live, ["status", "reason"]) ?? ""} ${getString(live, ["status", "message"]) ?? ""}`,
    );
  }
  const problem = await podFailure(client, live);
  if (problem) throw new AwaitError(`${what} will not become ready: ${problem}`);
  return { done: false, message: podWaitingReason(live) ?? `phase ${phase ?? "unknown"}` };
}

/** Whether this kind has a readiness wait at all. */
export function hasReadiness(kind: string): boolean {
  return ["Deployment", "StatefulSet", "Job", "Pod", "Namespace"].includes(kind);
}

/** Waits until the object is ready; returns its last state (the outputs). */
export async function awaitReady(applied: KubeObject, opts: AwaitOptions): Promise<KubeObject> {
  const { client } = opts;
  const ns = getString(applied, ["metadata", "namespace"]);
  const name = getString(applied, ["metadata", "name"]) ?? "";
  let live = applied;
  if (!hasReadiness(applied.kind)) return live;
  const what = describe(applied);
  await poll(
    `${what} to become ready`,
    opts,
    async () => {
      live = await client.get(applied.apiVersion, applied.kind, ns, name);
      switch (applied.kind) {
        case "Deployment":
          return deploymentProgress(client, live);
        case "StatefulSet":
          return statefulSetProgress(client, live, opts.since);
        case "Job":
          return jobProgress(client, live, opts.since);
        case "Pod":
          return podProgress(client, live);
        case "Namespace": {
          const phase = getString(live, ["status", "phase"]);
          return { done: phase === "Active", message: `phase ${phase ?? "unknown"}` };
        }
        default:
          return { done: true, message: "" };
      }
    },
    async (last) => {
      const details = await timeoutDetails(client, live).catch(() => "");
      return details ? `${last}; ${details}` : last;
    },
  );
  return live;
}

/** At a timeout: the last status, and the last log lines of a container that runs but is not ready. */
async function timeoutDetails(client: KubeClient, live: KubeObject): Promise<string> {
  const pods = live.kind === "Pod" ? [live] : await podsOf(client, live).catch(() => []);
  for (const pod of pods) {
    const statuses = [
      ...((getPath(pod, ["status", "initContainerStatuses"]) as Json[] | undefined) ?? []),
      ...((getPath(pod, ["status", "containerStatuses"]) as Json[] | undefined) ?? []),
    ].filter(isObject);
    const stuck = statuses.find((s) => getPath(s, ["state", "running"]) !== undefined && s.ready !== true);
    if (!stuck) continue;
    const podName = getString(pod, ["metadata", "name"]) ?? "";
    const logs = await client.logs(
      getString(pod, ["metadata", "namespace"]) ?? "",
      podName,
      String(stuck.name),
      5,
    );
    if (logs) return `last log lines of container ${String(stuck.name)} in pod ${podName}:\n${indent(logs)}`;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------------
// Deletion.

function namespaceHolders(live: KubeObject): string {
  const conditions = getPath(live, ["status", "conditions"]);
  const messages = Array.isArray(conditions)
    ? conditions
        .filter(isObject)
        .filter((c) => c.status === "True" && typeof c.message === "string")
        .map((c) => `${String(c.type)}: ${String(c.message)}`)
    : [];
  const finalizers = getPath(live, ["spec", "finalizers"]);
  if (Array.isArray(finalizers) && finalizers.length)
    messages.push(`namespace finalizers: ${finalizers.join(", ")}`);
  return messages.length ? messages.join("; ") : "terminating";
}

/** Every object left in a namespace, with its finalizers: what keeps a Terminating namespace alive. */
async function remainingIn(client: KubeClient, namespace: string): Promise<string> {
  const found: string[] = [];
  try {
    const groups = await client.call("GET", "/apis");
    const versions = ["v1"];
    const list = getPath(groups.body, ["groups"]);
    if (Array.isArray(list)) {
      for (const g of list) {
        const preferred = getString(g, ["preferredVersion", "groupVersion"]);
        if (preferred) versions.push(preferred);
      }
    }
    for (const apiVersion of versions) {
      const path = apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`;
      const res = await client.call("GET", path);
      const resources = getPath(res.body, ["resources"]);
      if (!Array.isArray(resources)) continue;
      for (const r of resources.filter(isObject)) {
        const verbs = Array.isArray(r.verbs) ? r.verbs : [];
        if (r.namespaced !== true || String(r.name).includes("/") || !verbs.includes("list")) continue;
        if (r.name === "events") continue;
        try {
          const items = await client.list(apiVersion, String(r.kind), namespace);
          for (const item of items) {
            const finalizers = getPath(item, ["metadata", "finalizers"]);
            const held =
              Array.isArray(finalizers) && finalizers.length ? ` (finalizers: ${finalizers.join(", ")})` : "";
            found.push(`${String(r.name)}/${getString(item, ["metadata", "name"])}${held}`);
          }
        } catch {
          // a resource we may not list: skip it
        }
      }
    }
  } catch (error) {
    return `(could not list what remains: ${(error as Error).message})`;
  }
  return found.length
    ? `objects left: ${found.slice(0, 20).join(", ")}${found.length > 20 ? ", ..." : ""}`
    : "";
}

/** Waits until the object is gone (or replaced by another object of the same name). */
export async function awaitDeleted(target: KubeObject, opts: AwaitOptions): Promise<void> {
  const { client } = opts;
  const ns = getString(target, ["metadata", "namespace"]);
  const name = getString(target, ["metadata", "name"]) ?? "";
  const uid = getString(target, ["metadata", "uid"]);
  const what = describe(target);
  let live: KubeObject | undefined;
  let lastHolders = "";
  let sameSince = Date.now();
  const stuckMs = 120_000;
  await poll(
    `${what} to be deleted`,
    opts,
    async () => {
      live = await client.tryGet(target.apiVersion, target.kind, ns, name);
      if (!live || (uid && live.metadata.uid !== uid)) return { done: true, message: "" };
      if (target.kind === "Namespace") {
        const holders = namespaceHolders(live);
        if (holders !== lastHolders) {
          lastHolders = holders;
          sameSince = Date.now();
        } else if (conditionOf(live, "NamespaceFinalizersRemaining") && Date.now() - sameSince > stuckMs) {
          const remaining = await remainingIn(client, name);
          throw new AwaitError(
            `${what} is stuck Terminating (nothing changed for ${minutes(stuckMs)}): ${holders}` +
              (remaining ? `; ${remaining}` : ""),
          );
        }
        return { done: false, message: holders };
      }
      const finalizers = getPath(live, ["metadata", "finalizers"]);
      return {
        done: false,
        message:
          Array.isArray(finalizers) && finalizers.length
            ? `terminating, finalizers: ${finalizers.join(", ")}`
            : "terminating",
      };
    },
    async (last) => {
      if (target.kind !== "Namespace") return last;
      const remaining = await remainingIn(client, name);
      return `${last}${remaining ? `; ${remaining}` : ""}`;
    },
  );
}
