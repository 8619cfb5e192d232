/**
 * How much one run may use. The quota bounds the whole namespace; the limit range gives containers
 * that declare nothing a default (so a compose file without `deploy.resources` still fits a quota)
 * and caps any single container.
 */
export interface RunQuota {
  readonly requestsCpu: string;
  readonly requestsMemory: string;
  readonly limitsCpu: string;
  readonly limitsMemory: string;
  readonly pods: number;
  readonly services: number;
  readonly persistentVolumeClaims: number;
  readonly requestsStorage: string;
  readonly containerDefault: { readonly cpu: string; readonly memory: string };
  readonly containerDefaultRequest: { readonly cpu: string; readonly memory: string };
  readonly containerMax: { readonly cpu: string; readonly memory: string };
}

export const DEFAULT_RUN_QUOTA: RunQuota = {
  requestsCpu: "2",
  requestsMemory: "4Gi",
  limitsCpu: "4",
  limitsMemory: "8Gi",
  pods: 20,
  services: 20,
  persistentVolumeClaims: 10,
  requestsStorage: "20Gi",
  containerDefault: { cpu: "500m", memory: "512Mi" },
  containerDefaultRequest: { cpu: "50m", memory: "64Mi" },
  containerMax: { cpu: "2", memory: "4Gi" },
};

/** The ResourceQuota `hard` map of a run. */
export function quotaHard(quota: RunQuota): Record<string, string> {
  return {
    "requests.cpu": quota.requestsCpu,
    "requests.memory": quota.requestsMemory,
    "limits.cpu": quota.limitsCpu,
    "limits.memory": quota.limitsMemory,
    pods: String(quota.pods),
    services: String(quota.services),
    persistentvolumeclaims: String(quota.persistentVolumeClaims),
    "requests.storage": quota.requestsStorage,
  };
}
