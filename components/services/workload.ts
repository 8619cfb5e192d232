import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type Labels, platformLabels, selectorLabels } from "../labels";
import type { ServiceSize } from "./profile";

/**
 * The one shape every infra service shares: a workload (Deployment, or StatefulSet when it keeps
 * data), the Service in front of it, and its config files. Each service component describes itself
 * as an `InfraWorkloadSpec`; this module turns that into Kubernetes objects.
 */

type Probe = k8s.types.input.core.v1.Probe;
type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface WorkloadPort {
  readonly name: string;
  readonly port: number;
  /** Also published on every node at this port (the host ports of kind/k3d map to it). */
  readonly nodePort?: number;
}

export interface InfraWorkloadSpec {
  readonly namespace: pulumi.Input<string>;
  /** The Kubernetes name, and so the in-cluster DNS name: `<appName>.<namespace>.svc`. */
  readonly appName: string;
  /** `app.kubernetes.io/component`: what role it plays (cache, database, broker, tracing, …). */
  readonly component: string;
  readonly image: string;
  readonly size: ServiceSize;
  readonly ports: readonly WorkloadPort[];
  readonly env?: EnvVar[];
  readonly command?: string[];
  readonly args?: string[];
  readonly readinessProbe: Probe;
  readonly livenessProbe: Probe;
  /** Where the persistent volume is mounted; setting it makes the workload a StatefulSet. */
  readonly dataPath?: string;
  /** Files mounted read-only from a ConfigMap at `mountPath`. */
  readonly configFiles?: { readonly mountPath: string; readonly files: Record<string, pulumi.Input<string>> };
  /** Pod-level security settings beyond the RuntimeDefault seccomp profile every pod gets. */
  readonly podSecurity?: { readonly runAsUser?: number; readonly fsGroup?: number };
  /** Stateful pods announce themselves before they are ready (a quorum has to find its peers). */
  readonly publishNotReadyPeers?: boolean;
}

export interface InfraWorkload {
  readonly labels: Labels;
  readonly service: k8s.core.v1.Service;
  readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;
  readonly configMap?: k8s.core.v1.ConfigMap;
}

/** The name of the headless Service that gives each StatefulSet pod a stable DNS name. */
export function peersServiceName(appName: string): string {
  return `${appName}-peers`;
}

/** In-cluster DNS name of a service. */
export function serviceHost(appName: string, namespace: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`${appName}.${namespace}.svc.cluster.local`;
}

/** An environment variable read from a key of a Secret. */
export function secretEnv(name: string, secret: k8s.core.v1.Secret, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } };
}

export function createInfraWorkload(
  name: string,
  spec: InfraWorkloadSpec,
  parent: pulumi.Resource,
  provider: k8s.Provider,
): InfraWorkload {
  const opts = { parent, provider };
  const labels = platformLabels(spec.component, spec.appName);
  const selector = selectorLabels(labels);
  const metadata = { name: spec.appName, namespace: spec.namespace, labels };

  const configMap = spec.configFiles
    ? new k8s.core.v1.ConfigMap(
        `${name}-config`,
        { metadata: { ...metadata, name: `${spec.appName}-config` }, data: spec.configFiles.files },
        opts,
      )
    : undefined;

  const container: k8s.types.input.core.v1.Container = {
    name: spec.appName,
    image: spec.image,
    command: spec.command,
    args: spec.args,
    env: spec.env,
    ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port })),
    resources: spec.size.resources,
    readinessProbe: spec.readinessProbe,
    livenessProbe: spec.livenessProbe,
    securityContext: { allowPrivilegeEscalation: false },
    volumeMounts: [
      ...(spec.dataPath ? [{ name: "data", mountPath: spec.dataPath }] : []),
      ...(configMap && spec.configFiles
        ? [{ name: "config", mountPath: spec.configFiles.mountPath, readOnly: true }]
        : []),
    ],
  };
  const podTemplate: k8s.types.input.core.v1.PodTemplateSpec = {
    metadata: { labels },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { ...spec.podSecurity, seccompProfile: { type: "RuntimeDefault" } },
      containers: [container],
      volumes: configMap ? [{ name: "config", configMap: { name: configMap.metadata.name } }] : [],
    },
  };

  const service = new k8s.core.v1.Service(
    `${name}-service`,
    {
      metadata,
      spec: {
        type: spec.ports.some((p) => p.nodePort) ? "NodePort" : "ClusterIP",
        selector,
        ports: spec.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: p.name,
          nodePort: p.nodePort,
        })),
      },
    },
    opts,
  );

  if (!spec.dataPath) {
    const workload = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata,
        spec: { replicas: spec.size.replicas, selector: { matchLabels: selector }, template: podTemplate },
      },
      opts,
    );
    return { labels, service, workload, configMap };
  }

  const peers = new k8s.core.v1.Service(
    `${name}-peers`,
    {
      metadata: { ...metadata, name: peersServiceName(spec.appName) },
      spec: {
        clusterIP: "None",
        selector,
        publishNotReadyAddresses: spec.publishNotReadyPeers ?? false,
        ports: spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name })),
      },
    },
    opts,
  );
  const workload = new k8s.apps.v1.StatefulSet(
    `${name}-statefulset`,
    {
      metadata,
      spec: {
        serviceName: peers.metadata.name,
        replicas: spec.size.replicas,
        podManagementPolicy: "Parallel",
        selector: { matchLabels: selector },
        template: podTemplate,
        volumeClaimTemplates: [
          {
            metadata: { name: "data", labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: spec.size.storage ?? "1Gi" } },
            },
          },
        ],
      },
    },
    opts,
  );
  return { labels, service, workload, configMap };
}
