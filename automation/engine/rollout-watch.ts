/**
 * Watches a run's namespace while `pulumi up` waits for its workloads, and reports the first failure
 * that makes waiting pointless (`workload-failures.ts`): a missing image, a crash loop, a failed Job,
 * pods refused by a quota or Pod Security. The engine then cancels the update, so a run fails in
 * seconds with its cause in words instead of at the provider's rollout timeout.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import {
  namespaceFailure,
  type NamespaceObjects,
  objectUids,
  type WorkloadFailure,
} from "./workload-failures";

/** How often the namespace is looked at: a few cheap list calls a second is nothing to the API server. */
const POLL_INTERVAL_MS = 1_000;
/** Log lines added to a crash or a failed Job's reason. */
const LOG_LINES = 10;

export interface RolloutWatchOptions {
  /** The kubeconfig file's text, and its context to use (default its current one). */
  readonly kubeconfig: string;
  readonly kubeContext?: string;
  readonly namespace: string;
  /** Called once, with the failure and the container's last log lines in the reason. */
  readonly onFailure: (failure: WorkloadFailure) => void;
  readonly intervalMs?: number;
}

export interface RolloutWatch {
  /**
   * Looks once more, now: after the update failed on its own (the provider gives up on a failed Job
   * itself), the failure found here says why in more words than the provider's error.
   */
  check(): Promise<WorkloadFailure | undefined>;
  /** Stops looking (idempotent). */
  stop(): void;
}

export function watchRollout(options: RolloutWatchOptions): RolloutWatch {
  const config = new KubeConfig();
  config.loadFromString(options.kubeconfig);
  if (options.kubeContext) config.setCurrentContext(options.kubeContext);
  const core = config.makeApiClient(CoreV1Api);
  const batch = config.makeApiClient(BatchV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const namespace = options.namespace;
  let stopped = false;
  /** stop() was called: a failure found while its logs were read is no longer anyone's news. */
  let ended = false;
  let timer: NodeJS.Timeout | undefined;

  const withLogs = async (failure: WorkloadFailure): Promise<WorkloadFailure> => {
    if (!failure.logsOf) return failure;
    const { pod, container, previous } = failure.logsOf;
    const read = (prev: boolean) =>
      core
        .readNamespacedPodLog({ name: pod, namespace, container, tailLines: LOG_LINES, previous: prev })
        .then((text) => String(text ?? "").trimEnd())
        .catch(() => "");
    // The kubelet may restart the container between the status and this call: then the lines are in
    // the other run of it.
    const logs = (await read(previous)) || (await read(!previous));
    const tail = logs
      ? `; its last log lines:\n${logs
          .split("\n")
          .map((l) => `    ${l}`)
          .join("\n")}`
      : "; it logged nothing";
    return { ...failure, reason: `${failure.reason}${tail}` };
  };

  const list = async (): Promise<NamespaceObjects> => {
    const [pods, jobs, replicaSets, statefulSets, events] = await Promise.all([
      core.listNamespacedPod({ namespace }),
      batch.listNamespacedJob({ namespace }),
      apps.listNamespacedReplicaSet({ namespace }),
      apps.listNamespacedStatefulSet({ namespace }),
      core.listNamespacedEvent({ namespace, fieldSelector: "type=Warning" }),
    ]);
    const controllers = [...replicaSets.items, ...statefulSets.items];
    return { pods: pods.items, jobs: jobs.items, controllers, events: events.items };
  };

  // What is there before the update starts is an earlier update's (a new run's namespace does not exist yet).
  let before: Set<string> | undefined;
  const look = async () => {
    try {
      const now = await list();
      if (!before) {
        before = objectUids(now);
      } else {
        const failure = namespaceFailure(now, before);
        if (failure && !stopped) {
          stopped = true;
          const told = await withLogs(failure);
          if (!ended) options.onFailure(told);
          return;
        }
      }
    } catch {
      // The namespace may not exist yet (it is created beside the image builds), or the API blinked.
      before ??= new Set();
    }
    if (!stopped) timer = setTimeout(look, options.intervalMs ?? POLL_INTERVAL_MS);
  };
  timer = setTimeout(look, 0);

  return {
    async check() {
      try {
        const failure = namespaceFailure(await list(), before ?? new Set());
        return failure && (await withLogs(failure));
      } catch {
        return undefined;
      }
    },
    stop() {
      stopped = true;
      ended = true;
      if (timer) clearTimeout(timer);
    },
  };
}
