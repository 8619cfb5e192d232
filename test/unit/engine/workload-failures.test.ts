import type { CoreV1Event, V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { createFailure, namespaceFailure, podFailure } from "../../../automation/engine/workload-failures";

const nothingBefore = new Set<string>();

const thisUpdate = new Set(["rs-1"]);
const later = new Date("2026-12-01T10:00:05Z");

function pod(status: Partial<V1ContainerStatus>): V1Pod {
  return {
    metadata: { name: "web-abc", creationTimestamp: later, uid: "pod-1" },
    spec: { containers: [{ name: "web", image: "reporunner/web:1" }] },
    status: {
      phase: "Pending",
      containerStatuses: [{ name: "web", image: "", imageID: "", ready: false, restartCount: 0, ...status }],
    },
  };
}

function warning(reason: string, message: string): CoreV1Event {
  return {
    type: "Warning",
    reason,
    message,
    lastTimestamp: later,
    involvedObject: { kind: "ReplicaSet", name: "web-7d9f", uid: "rs-1" },
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
      thisUpdate,
    );
    expect(quota).toEqual({
      kind: "quota",
      reason:
        "the run asks for more than its quota run-quota (requested: limits.memory=4Gi, used: limits.memory=64Mi, limited: limits.memory=1Gi)",
    });
    const limit = createFailure(
      [warning("FailedCreate", "forbidden: maximum memory usage per Container is 512Mi, but limit is 4Gi.")],
      thisUpdate,
    );
    expect(limit?.kind).toBe("quota");
    const security = createFailure(
      [
        warning(
          "FailedCreate",
          'pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged',
        ),
      ],
      thisUpdate,
    );
    expect(security?.reason).toMatch(
      /^Pod Security refused a pod of replicaset web-7d9f: violates PodSecurity/,
    );
    // A controller an earlier update left keeps retrying: its events are not this update's failure.
    const leftOver = new Set(["rs-2"]);
    expect(
      createFailure([warning("FailedCreate", "exceeded quota: q, requested: x")], leftOver),
    ).toBeUndefined();
    expect(
      createFailure([warning("BackOff", "Back-off restarting failed container")], thisUpdate),
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
    const failure = namespaceFailure(
      { pods: [jobPod], jobs: [job], controllers: [], events: [] },
      nothingBefore,
    );
    expect(failure?.reason).toBe(
      "job migrate failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
    );
    expect(failure?.logsOf).toEqual({ pod: "web-abc", container: "web", previous: false });
  });

  it("ignores pods and controllers that were there before the update, and pods on their way out", () => {
    const old = pod({ state: { waiting: { reason: "ErrImageNeverPull" } } });
    const before = new Set(["pod-1", "rs-1"]);
    expect(namespaceFailure({ pods: [old], jobs: [], controllers: [], events: [] }, before)).toBeUndefined();
    const quotaEvent = warning("FailedCreate", "exceeded quota: q, requested: x");
    const replicaSet = { metadata: { uid: "rs-1" } };
    expect(
      namespaceFailure({ pods: [], jobs: [], controllers: [replicaSet], events: [quotaEvent] }, before),
    ).toBeUndefined();
    expect(
      namespaceFailure({ pods: [], jobs: [], controllers: [replicaSet], events: [quotaEvent] }, nothingBefore)
        ?.kind,
    ).toBe("quota");
    const leaving = pod({ state: { waiting: { reason: "ErrImageNeverPull" } } });
    leaving.metadata!.deletionTimestamp = later;
    expect(
      namespaceFailure({ pods: [leaving], jobs: [], controllers: [], events: [] }, nothingBefore),
    ).toBeUndefined();
  });
});
