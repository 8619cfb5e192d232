/**
 * Which pod a local preview's connection goes to: a Ready pod behind the Service, chosen for each
 * connection so that a restarted or rescheduled pod is found, and the container port behind the
 * Service's port (a port-forward reaches a pod, not a Service).
 */
import type { V1Pod, V1Service } from "@kubernetes/client-node";

/** A pod and the container port to forward to. */
export interface PodPort {
  readonly pod: string;
  readonly port: number;
}

/** The Service's selector as a label selector; throws when it selects nothing by itself. */
export function labelSelectorOf(service: V1Service): string {
  const selector = Object.entries(service.spec?.selector ?? {});
  if (selector.length === 0) throw new Error(`service ${service.metadata?.name} has no selector`);
  return selector.map(([k, v]) => `${k}=${v}`).join(",");
}

/** Ready and not on its way out (a terminating pod can still report Ready). */
export function isReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** The pod's port behind a Service target port: a number as is, a name through its containers. */
function containerPort(pod: V1Pod, target: number | string): number | undefined {
  if (typeof target === "number") return target;
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}

/** One Ready pod of `pods` (chosen by `pick`, default at random) and its port for `servicePort`. */
export function pickPodPort(
  service: V1Service,
  pods: readonly V1Pod[],
  servicePort: number,
  pick: (count: number) => number = (count) => Math.floor(Math.random() * count),
): PodPort {
  const name = service.metadata?.name;
  const spec = (service.spec?.ports ?? []).find((p) => p.port === servicePort);
  if (!spec) throw new Error(`service ${name} has no port ${servicePort}`);
  const target = spec.targetPort ?? spec.port;
  const candidates = pods.flatMap((pod) => {
    const port = isReady(pod) ? containerPort(pod, target) : undefined;
    return port === undefined ? [] : [{ pod: pod.metadata!.name!, port }];
  });
  if (candidates.length === 0) throw new Error(`service ${name} has no Ready pod`);
  return candidates[pick(candidates.length)]!;
}
