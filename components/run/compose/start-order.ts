import type { Findings } from "./issues";
import type { Container } from "./kube-types";
import type { ServiceModel } from "./model";
import { toDnsLabel } from "./names";

/** The uid the wait containers run as: `nobody`, so they meet Pod Security `restricted`. */
const NOBODY = 65534;

/**
 * Services that run to completion: those another service waits on with
 * `condition: service_completed_successfully`. They become Jobs, not Deployments.
 *
 * Decision: a dependent does not wait for such a Job. Waiting needs the Kubernetes API (a pod cannot
 * see another pod finish over the network), and giving run pods API access would widen what a
 * repository's code can do. The dependent starts at once and Kubernetes restarts it until the Job's
 * work (typically a migration) is done; a warning says so.
 */
export function runToCompletion(services: readonly ServiceModel[]): Set<string> {
  return new Set(
    services.flatMap((service) =>
      service.dependsOn.filter((dependency) => dependency.condition === "service_completed_successfully").map((dependency) => dependency.service),
    ),
  );
}

/**
 * One init container per dependency that waits until the dependency's Service accepts a TCP
 * connection. A ClusterIP Service only routes to ready pods, and readiness comes from the
 * healthcheck, so this one check serves both `service_started` and `service_healthy`.
 */
export function waitContainers(
  service: ServiceModel,
  byName: ReadonlyMap<string, ServiceModel>,
  jobs: ReadonlySet<string>,
  waitImage: string,
  findings: Findings,
): Container[] {
  const containers: Container[] = [];
  for (const dependency of service.dependsOn) {
    const target = byName.get(dependency.service);
    if (!target) continue;
    const at = `services.${service.name}.depends_on.${dependency.service}`;
    if (jobs.has(dependency.service)) {
      findings.warn(
        at,
        `${dependency.service} runs once as a Job; ${service.name} starts without waiting for it and is restarted by Kubernetes until it works`,
      );
      continue;
    }
    const port = target.ports.find((candidate) => candidate.protocol === "TCP");
    if (!port) {
      findings.warn(at, `${dependency.service} has no TCP port to check, so ${service.name} does not wait for it`);
      continue;
    }
    if (dependency.condition === "service_healthy" && !target.healthcheck) {
      findings.warn(at, `${dependency.service} has no healthcheck, so "healthy" means its port ${port.target} answers`);
    }
    containers.push({
      name: toDnsLabel(`wait-for-${target.kubeName}`),
      image: waitImage,
      command: [
        "sh",
        "-c",
        `until nc -z -w 2 ${target.kubeName} ${port.target}; do echo "waiting for ${target.kubeName}:${port.target}"; sleep 2; done`,
      ],
      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
        runAsNonRoot: true,
        runAsUser: NOBODY,
        runAsGroup: NOBODY,
      },
    });
  }
  return containers;
}
