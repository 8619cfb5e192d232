/**
 * The subset of Kubernetes object shapes the translation emits, as plain data. Kept local (rather
 * than importing @pulumi/kubernetes types) so the translation stays a pure module with no Pulumi.
 */

export type StringMap = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: StringMap;
  annotations?: StringMap;
}

/** Any manifest the translation produces. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
}

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface ExecProbe {
  exec: { command: string[] };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds?: number;
}

export interface SecurityContext {
  allowPrivilegeEscalation: false;
  capabilities: { drop: ["ALL"]; add?: string[] };
  seccompProfile: { type: "RuntimeDefault" };
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { medium?: "Memory"; sizeLimit?: string };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ResourceRequirements {
  limits?: StringMap;
  requests?: StringMap;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceRequirements;
  readinessProbe?: ExecProbe;
  livenessProbe?: ExecProbe;
  startupProbe?: ExecProbe;
  lifecycle?: { postStart?: { exec: { command: string[] } }; preStop?: { exec: { command: string[] } } };
  securityContext: SecurityContext;
  tty?: boolean;
  stdin?: boolean;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: "Always" | "OnFailure" | "Never";
  enableServiceLinks: false;
  automountServiceAccountToken: false;
  securityContext: {
    seccompProfile: { type: "RuntimeDefault" };
    sysctls?: { name: string; value: string }[];
    supplementalGroups?: number[];
  };
  hostname?: string;
  hostAliases?: { ip: string; hostnames: string[] }[];
  dnsConfig?: { searches?: string[]; options?: { name: string; value?: string }[] };
  terminationGracePeriodSeconds?: number;
}

export interface PodTemplate {
  metadata: { labels: StringMap; annotations?: StringMap };
  spec: PodSpec;
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: Protocol;
  appProtocol?: string;
}
