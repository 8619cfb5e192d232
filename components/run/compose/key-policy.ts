import type { DefinitionsService } from "compose-spec-ts";
import type { Findings } from "./issues";

/**
 * What happens to each compose service key. The unit tests check this table against the
 * compose-spec schema, so a key added to the spec cannot slip through unhandled.
 * - `translated`: becomes part of the manifests (possibly with a warning for parts that cannot).
 * - `checked`: refused when it would reach the host, accepted (or warned about) otherwise.
 * - `{ warn }`: has no Kubernetes counterpart; ignored with this reason.
 */
export type KeyPolicy = "translated" | "checked" | { readonly warn: string };

const CPU_TUNING = "fine-grained CPU scheduling has no Kubernetes counterpart; use cpus or deploy.resources";

export const SERVICE_KEY_POLICY: Readonly<Record<string, KeyPolicy>> = {
  annotations: "translated",
  build: "translated",
  cap_add: "translated",
  cap_drop: "translated",
  command: "translated",
  configs: "translated",
  container_name: "translated",
  cpus: "translated",
  deploy: "translated",
  depends_on: "translated",
  dns_opt: "translated",
  dns_search: "translated",
  entrypoint: "translated",
  env_file: "translated",
  environment: "translated",
  expose: "translated",
  extends: "translated",
  extra_hosts: "translated",
  group_add: "translated",
  healthcheck: "translated",
  hostname: "translated",
  image: "translated",
  label_file: "translated",
  labels: "translated",
  links: "translated",
  mem_limit: "translated",
  mem_reservation: "translated",
  networks: "translated",
  ports: "translated",
  post_start: "translated",
  pre_stop: "translated",
  profiles: "translated",
  pull_policy: "translated",
  read_only: "translated",
  restart: "translated",
  scale: "translated",
  secrets: "translated",
  shm_size: "translated",
  stdin_open: "translated",
  stop_grace_period: "translated",
  sysctls: "translated",
  tmpfs: "translated",
  tty: "translated",
  user: "translated",
  volumes: "translated",
  working_dir: "translated",

  cgroup: "checked",
  device_cgroup_rules: "checked",
  devices: "checked",
  ipc: "checked",
  network_mode: "checked",
  pid: "checked",
  privileged: "checked",
  security_opt: "checked",
  userns_mode: "checked",
  uts: "checked",
  volumes_from: "checked",

  attach: { warn: "log attachment is a compose CLI setting; a pod's logs are always available" },
  blkio_config: { warn: "block I/O weights and limits have no Kubernetes counterpart" },
  cgroup_parent: { warn: "the kubelet places pods in its own cgroups" },
  cpu_count: { warn: CPU_TUNING },
  cpu_percent: { warn: CPU_TUNING },
  cpu_period: { warn: CPU_TUNING },
  cpu_quota: { warn: CPU_TUNING },
  cpu_rt_period: { warn: CPU_TUNING },
  cpu_rt_runtime: { warn: CPU_TUNING },
  cpu_shares: { warn: CPU_TUNING },
  cpuset: { warn: CPU_TUNING },
  credential_spec: { warn: "Windows container credentials do not apply on Linux nodes" },
  develop: { warn: "compose watch syncs files from a developer's machine, which a run does not have" },
  dns: { warn: "a custom nameserver would bypass the cluster DNS that service names resolve through" },
  domainname: { warn: "the pod's domain is the cluster's" },
  external_links: { warn: "containers outside the run cannot be reached from it" },
  gpus: { warn: "the cluster schedules no GPUs; the service runs without one" },
  init: { warn: "Kubernetes has no init-process option; the image's entrypoint runs as PID 1" },
  isolation: { warn: "Windows isolation modes do not apply on Linux nodes" },
  logging: { warn: "logs go to the pod's stdout and stderr, read with kubectl logs or the run's events" },
  mac_address: { warn: "pods get their addresses from the cluster network" },
  mem_swappiness: { warn: "swap is managed per node, not per container" },
  memswap_limit: { warn: "swap is managed per node, not per container" },
  oom_kill_disable: { warn: "the kubelet decides OOM handling from the pod's resources" },
  oom_score_adj: { warn: "the kubelet decides OOM handling from the pod's resources" },
  pids_limit: { warn: "the PID limit is set per node by the kubelet" },
  platform: "checked",
  runtime: "checked",
  stop_signal: { warn: "Kubernetes stops containers with SIGTERM; handle it, or stop in a pre_stop hook" },
  storage_opt: { warn: "container storage options are set per node" },
  ulimits: { warn: "ulimits are set per node by the container runtime" },
};

/**
 * `platform` and `runtime`. A Linux platform or a runtime for Linux containers is ignored with a
 * warning (the node's own is used), but a WebAssembly image (`platform: wasi/wasm`, or a wasm runtime
 * such as `io.containerd.wasmedge.v1`) cannot run on the node's runtime at all: it is refused, so
 * the run does not fail later with an exec format error.
 */
export function checkPlatform(service: DefinitionsService, path: string, findings: Findings): void {
  const wasm = (value: unknown) =>
    typeof value === "string" && /wasi|wasm|spin|slight|wws|lunatic/i.test(value);
  if (wasm(service.platform) || wasm(service.runtime)) {
    const key = wasm(service.platform) ? "platform" : "runtime";
    findings.refuse(
      `${path}.${key}`,
      `"${String(service[key])}" is a WebAssembly image, which the cluster's container runtime cannot run: build the service for linux, or leave it out of the run`,
    );
    return;
  }
  if (service.platform !== undefined)
    findings.warn(`${path}.platform`, "ignored: images are built and pulled for the node's platform");
  if (service.runtime !== undefined)
    findings.warn(`${path}.runtime`, "ignored: the node's container runtime is used");
}

/** Warns about every key of `service` that has no Kubernetes counterpart. */
export function warnIgnoredServiceKeys(service: DefinitionsService, path: string, findings: Findings): void {
  for (const key of Object.keys(service)) {
    const policy = SERVICE_KEY_POLICY[key];
    if (policy !== undefined && typeof policy === "object")
      findings.warn(`${path}.${key}`, `ignored: ${policy.warn}`);
  }
}
