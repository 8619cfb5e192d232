import type { CoreV1Event, V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { createFailure, namespaceFailure, podFailure } from "../../../automation/engine/workload-failures";

const since = new Date("2026-12-01T10:00:00Z");
const later = new Date("2026-12-01T10:00:05Z");
const earlier = new Date("2026-12-01T09:00:00Z");

function pod(status: Partial<V1ContainerStatus>, created = later): V1Pod {
  return {
    metadata: { name: "web-abc", creationTimestamp: created, uid: "pod-1" },
    spec: { containers: [{ name: "web", image: "reporunner/web:1" }] },
    status: {
      phase: "Pending",
      containerStatuses: [{ name: "web", image: "", imageID: "", ready: false, restartCount: 0, ...status }],
    },
  };
}

function warning(reason: string, message: string, at = later): CoreV1Event {
  return {
    type: "Warning",
    reason,
    message,
    lastTimestamp: at,
    involvedObject: { kind: "ReplicaSet", name: "web-7d9f" },
    metadata: {},
  };
}

describe("workload failures the provider would only time out on", () => {
  it("names the image and the container when the image is not on the node", () => {
    const failure = podFailure(pod({ state: { waiting: { reason: "ErrImageNeverPull" } } }));
    expect(failure?.kind).toBe("deploy");
    expect(failure?.reason).toContain('image "reporunner/web:1" is not present on the node');
    expect(failure?.reason).toContain('container "web" of pod web-abc');
  });

  it("calls a container crash-looping in CrashLoopBackOff, or after its second failed exit", () => {
    const backoff = podFailure(
      pod({
        restartCount: 1,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 3, reason: "Error" } },
      }),
    );
    expect(backoff?.reason).toContain("CrashLoopBackOff, restarted 1 times; last exit code 3 (Error)");
    expect(backoff?.logsOf).toEqual({ pod: "web-abc", container: "web", previous: true });
    const exited = podFailure(pod({ restartCount: 2, state: { terminated: { exitCode: 1 } } }));
    expect(exited?.logsOf?.previous).toBe(false);
    expect(podFailure(pod({ restartCount: 1, state: { terminated: { exitCode: 1 } } }))).toBeUndefined();
    expect(podFailure(pod({ restartCount: 5, state: { running: {} } }))).toBeUndefined();
  });

  it("names a quota, a LimitRange and Pod Security from FailedCreate events, and ignores older ones", () => {
    const quota = createFailure(
      [
        warning(
          "FailedCreate",
          'pods "greedy-1" is forbidden: exceeded quota: run-quota, requested: limits.memory=4Gi, used: limits.memory=64Mi, limited: limits.memory=1Gi',
        ),
      ],
      since,
    );
    expect(quota).toEqual({
      kind: "quota",
      reason:
        "the run asks for more than its quota run-quota (requested: limits.memory=4Gi, used: limits.memory=64Mi, limited: limits.memory=1Gi)",
    });
    const limit = createFailure(
      [warning("FailedCreate", "forbidden: maximum memory usage per Container is 512Mi, but limit is 4Gi.")],
      since,
    );
    expect(limit?.kind).toBe("quota");
    const security = createFailure(
      [
        warning(
          "FailedCreate",
          'pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged',
        ),
      ],
      since,
    );
    expect(security?.reason).toMatch(
      /^Pod Security refused a pod of replicaset web-7d9f: violates PodSecurity/,
    );
    expect(createFailure([warning("FailedCreate", "exceeded quota: q, requested: x", earlier)], since)).toBe(
      undefined,
    );
    expect(
      createFailure([warning("BackOff", "Back-off restarting failed container")], since),
    ).toBeUndefined();
  });

  it("reports a failed Job with the pod whose logs say why", () => {
    const job: V1Job = {
      metadata: { name: "migrate", uid: "job-1", creationTimestamp: later },
      status: {
        conditions: [
          {
            type: "Failed",
            status: "True",
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
          },
        ],
      },
    };
    const jobPod = pod({ state: { terminated: { exitCode: 2 } } });
    jobPod.metadata!.ownerReferences = [
      { uid: "job-1", apiVersion: "batch/v1", kind: "Job", name: "migrate" },
    ];
    jobPod.status!.phase = "Failed";
    const failure = namespaceFailure({ pods: [jobPod], jobs: [job], events: [], since });
    expect(failure?.reason).toBe(
      "job migrate failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
    );
    expect(failure?.logsOf).toEqual({ pod: "web-abc", container: "web", previous: false });
  });

  it("ignores pods and Jobs an earlier update created, and pods on their way out", () => {
    const old = pod({ state: { waiting: { reason: "ErrImageNeverPull" } } }, earlier);
    expect(namespaceFailure({ pods: [old], jobs: [], events: [], since })).toBeUndefined();
    const leaving = pod({ state: { waiting: { reason: "ErrImageNeverPull" } } });
    leaving.metadata!.deletionTimestamp = later;
    expect(namespaceFailure({ pods: [leaving], jobs: [], events: [], since })).toBeUndefined();
  });
});
