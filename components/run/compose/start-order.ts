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
      service.dependsOn
        .filter((dependency) => dependency.condition === "service_completed_successfully")
        .map((dependency) => dependency.service),
    ),
  );
}

/** Where the wait containers run and what they run. */
export interface WaitOptions {
  readonly namespace: string;
  /** The cluster's DNS domain, `cluster.local` unless the cluster was set up otherwise. */
  readonly clusterDomain: string;
  /** A small image with `sh`, `nc` and `nslookup` (busybox). */
  readonly image: string;
}

/**
 * One init container per dependency that waits until the dependency answers. For a dependency with
 * a TCP port it waits for a connection through its ClusterIP Service, which only routes to ready
 * pods; for one without ports it waits until its headless Service's name resolves, which also
 * happens only once a pod is ready. Readiness comes from the healthcheck, so one check serves both
 * `service_started` and `service_healthy`.
 */
export function waitContainers(
  service: ServiceModel,
  byName: ReadonlyMap<string, ServiceModel>,
  jobs: ReadonlySet<string>,
  options: WaitOptions,
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
    if (dependency.condition === "service_healthy" && !target.healthcheck) {
      findings.warn(
        at,
        `${dependency.service} has no healthcheck, so "healthy" means it is running and reachable`,
      );
    }
    // busybox's nslookup may not apply the search domains, so the name is fully qualified. `nc` runs
    // `true` once connected and exits with it, rather than `-z`, which only some busybox builds have
    // (Debian's lacks it). Closing stdin is not enough: nc then waits for the server to close, and
    // Redis or Postgres never close an idle connection, so the wait would hang on a ready server.
    const check = port
      ? `nc -w 2 ${target.kubeName} ${port.target} -e true`
      : `nslookup ${target.kubeName}.${options.namespace}.svc.${options.clusterDomain}`;
    containers.push({
      name: toDnsLabel(`wait-for-${target.kubeName}`),
      image: options.image,
      // A utility image: take the node's copy when it has one, so a `:latest` tag is not pulled per pod.
      imagePullPolicy: "IfNotPresent",
      command: [
        "sh",
        "-c",
        `until ${check} >/dev/null 2>&1; do echo "waiting for ${target.kubeName}"; sleep 2; done`,
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
