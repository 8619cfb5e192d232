import type { DefinitionsService } from "compose-spec-ts";
import type { Findings } from "./issues";
import type { SecurityContext } from "./kube-types";
import type { ServiceModel, UserModel } from "./model";
import { asBoolean } from "./units";

/**
 * What a container that may run as root keeps when the compose file says nothing: Docker's
 * default set without NET_RAW, which is what Pod Security `baseline` allows. Images whose
 * entrypoint starts as root and then chowns a data directory and switches user (postgres, mysql,
 * redis, nginx workers, `httpd -u`) need CHOWN, SETUID, SETGID, FOWNER, DAC_OVERRIDE; a server on
 * port 80 needs NET_BIND_SERVICE. NET_RAW (raw sockets: ping, ARP and DNS spoofing on the node's
 * network) is the one Docker default `baseline` forbids.
 */
export const ROOT_DEFAULT_CAPABILITIES: readonly string[] = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

/**
 * Capabilities a service may add back after every container drops ALL: the set Pod Security
 * `baseline` allows, the same as a root container keeps by default. Only NET_BIND_SERVICE is also
 * allowed by `restricted`.
 */
export const SAFE_CAPABILITIES: ReadonlySet<string> = new Set(ROOT_DEFAULT_CAPABILITIES);
const RESTRICTED_CAPABILITIES: ReadonlySet<string> = new Set(["NET_BIND_SERVICE"]);

/** Docker's defaults that no run keeps, and what a program misses without them. */
const DOCKER_DEFAULTS_WITHHELD = "NET_RAW (raw sockets: ping and traceroute fail)";

/** A capability as written in compose (`cap_net_admin`, `CAP_CHOWN`), as Kubernetes names it. */
function capabilityName(raw: string): string {
  return raw.toUpperCase().replace(/^CAP_/, "");
}

/** `security_opt` values that switch off a protection the run depends on. */
const UNSAFE_SECURITY_OPT =
  /^(seccomp[:=]unconfined|apparmor[:=]unconfined|label[:=]disable|systempaths[:=]unconfined)$/;

/**
 * Refuses what would let a service reach the host or other runs: privileged mode, host
 * namespaces, devices, unconfined security profiles, dangerous capabilities. Each message says
 * what to change. Volumes are checked where they are read (`volumes.ts`).
 */
export function refuseHostAccess(service: DefinitionsService, path: string, findings: Findings): void {
  const refuse = (key: string, message: string) => findings.refuse(`${path}.${key}`, message);
  if (asBoolean(service.privileged)) {
    refuse(
      "privileged",
      "privileged mode gives the container the host's devices and kernel: remove privileged: true",
    );
  }
  const sharedNamespace = (
    key: "network_mode" | "pid" | "ipc" | "uts" | "userns_mode" | "cgroup",
    value: string,
  ) => {
    if (value === "host") {
      refuse(key, `${key}: host shares the host's namespace with the container: remove it`);
    } else if (/^(service|container):/.test(value)) {
      refuse(
        key,
        `${key}: ${value} shares a namespace with another container, which separate pods cannot do: remove it and connect by service name`,
      );
    }
  };
  if (service.network_mode === "none") {
    findings.warn(
      `${path}.network_mode`,
      "none is not applied: the service gets the run's network like the others",
    );
  } else if (
    service.network_mode &&
    service.network_mode !== "bridge" &&
    service.network_mode !== "default"
  ) {
    sharedNamespace("network_mode", service.network_mode);
    if (!/^(host|service:|container:)/.test(service.network_mode)) {
      refuse("network_mode", `"${service.network_mode}" is not a network mode a run supports: remove it`);
    }
  }
  for (const key of ["pid", "ipc", "uts", "userns_mode", "cgroup"] as const) {
    const value = service[key];
    if (typeof value === "string") sharedNamespace(key, value);
  }
  if (service.devices?.length) {
    refuse("devices", "host devices cannot be passed into a run: remove devices:");
  }
  if (service.device_cgroup_rules?.length) {
    refuse(
      "device_cgroup_rules",
      "device access rules reach the host's devices: remove device_cgroup_rules:",
    );
  }
  if (service.volumes_from?.length) {
    refuse(
      "volumes_from",
      "containers in separate pods cannot share each other's volumes: declare a named volume and mount it in both services",
    );
  }
  (service.security_opt ?? []).forEach((option, index) => {
    if (UNSAFE_SECURITY_OPT.test(option)) {
      findings.refuse(
        `${path}.security_opt[${index}]`,
        `"${option}" switches off a protection every run keeps: remove it`,
      );
    } else if (!/^no-new-privileges(:true)?$/.test(option)) {
      findings.warn(
        `${path}.security_opt[${index}]`,
        `"${option}" is ignored: every container runs with the runtime's default seccomp profile and no privilege escalation`,
      );
    }
  });
}

/**
 * `cap_add`, upper-cased and without the `CAP_` prefix. Anything outside {@link SAFE_CAPABILITIES}
 * is refused: those are the ones that let a container administer the host (SYS_ADMIN, NET_ADMIN,
 * SYS_PTRACE, ALL, ...).
 */
export function readCapabilities(service: DefinitionsService, path: string, findings: Findings): string[] {
  const added: string[] = [];
  (service.cap_add ?? []).forEach((raw, index) => {
    const capability = capabilityName(raw);
    if (SAFE_CAPABILITIES.has(capability)) {
      if (!added.includes(capability)) added.push(capability);
    } else {
      findings.refuse(
        `${path}.cap_add[${index}]`,
        `${capability} is not allowed in a run (allowed: ${[...SAFE_CAPABILITIES].join(", ")}): remove it`,
      );
    }
  });
  return added;
}

/**
 * `cap_drop`, in the same form as `cap_add`; `ALL` stays `ALL`. Dropping is always allowed, and a
 * name Docker does not know drops nothing.
 */
export function readDroppedCapabilities(service: DefinitionsService): string[] {
  return [...new Set((service.cap_drop ?? []).map(capabilityName))];
}

/**
 * The capabilities a service's container keeps. A known non-root uid gets only what `cap_add`
 * asks for: such a process holds no capability anyway (no ambient set, no privilege escalation),
 * so nothing is lost and `restricted` stays possible. A service that may run as root keeps
 * {@link ROOT_DEFAULT_CAPABILITIES} minus `cap_drop`, plus `cap_add`, as under Docker.
 */
export function keptCapabilities(service: ServiceModel): string[] {
  if (service.user.knownNonRoot || service.capDrop.includes("ALL")) return [...service.capAdd];
  const kept = ROOT_DEFAULT_CAPABILITIES.filter((capability) => !service.capDrop.includes(capability));
  return [...kept, ...service.capAdd.filter((capability) => !kept.includes(capability))];
}

/**
 * The compose `user` (`uid`, `uid:gid`, `name`, `name:group`). Kubernetes can only set numeric ids,
 * so a name is warned about and the image's own USER applies.
 */
export function readUser(user: string | undefined, path: string, findings: Findings): UserModel {
  if (user === undefined || user === "") return { knownNonRoot: false };
  const [uidText = "", gidText] = user.split(":");
  const uid = uidText === "root" ? 0 : /^\d+$/.test(uidText) ? Number(uidText) : undefined;
  const gid =
    gidText === undefined
      ? undefined
      : gidText === "root"
        ? 0
        : /^\d+$/.test(gidText)
          ? Number(gidText)
          : undefined;
  if (uid === undefined || (gidText !== undefined && gid === undefined)) {
    findings.warn(
      path,
      `"${user}" uses names, which Kubernetes cannot set (it needs numeric ids like 1000:1000); the image's USER applies`,
    );
  }
  return {
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
    knownNonRoot: uid !== undefined && uid !== 0,
  };
}

/**
 * The security context every container gets: no privilege escalation, all capabilities dropped
 * except those {@link keptCapabilities} names, the runtime's seccomp profile, and the user when it
 * is numeric. `runAsNonRoot` is set only when the uid is known and not 0: for an image's default
 * user it cannot be known before the image runs.
 */
export function containerSecurityContext(service: ServiceModel): SecurityContext {
  const { user } = service;
  const kept = keptCapabilities(service);
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"], ...(kept.length ? { add: kept } : {}) },
    seccompProfile: { type: "RuntimeDefault" },
    ...(user.uid !== undefined ? { runAsUser: user.uid } : {}),
    ...(user.gid !== undefined ? { runAsGroup: user.gid } : {}),
    ...(user.knownNonRoot ? { runAsNonRoot: true } : {}),
    ...(service.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}

/** Which Pod Security level the namespace of a run can enforce, and why not `restricted`. */
export interface PodSecurityAssessment {
  readonly level: "restricted" | "baseline";
  /** Why `restricted` is not possible, one line per service and reason. */
  readonly reasons: readonly string[];
  /** What the containers keep of Docker's capabilities, and what they miss, in one line. */
  readonly capabilities: string;
}

/**
 * Everything the translation emits meets Pod Security `baseline` (refusals see to that). It meets
 * `restricted` only when every container runs as a known non-root uid and adds no capability
 * beyond NET_BIND_SERVICE; otherwise the caller labels the namespace `baseline` and says why.
 */
export function assessPodSecurity(services: readonly ServiceModel[]): PodSecurityAssessment {
  const reasons: string[] = [];
  for (const service of services) {
    if (service.user.uid === 0) {
      reasons.push(`services.${service.name}.user: runs as root`);
    } else if (!service.user.knownNonRoot) {
      reasons.push(
        `services.${service.name}: runs as the image's default user, which may be root (set user: to a numeric non-zero uid to allow restricted)`,
      );
    }
    const extra = service.capAdd.filter((capability) => !RESTRICTED_CAPABILITIES.has(capability));
    if (extra.length) reasons.push(`services.${service.name}.cap_add: adds ${extra.join(", ")}`);
  }
  return {
    level: reasons.length ? "baseline" : "restricted",
    reasons,
    capabilities: capabilitiesLine(services),
  };
}

/**
 * One line on capabilities for the run: which services keep Docker's defaults and which drop
 * them, so a program that fails with "Operation not permitted" has its cause in the warnings.
 */
function capabilitiesLine(services: readonly ServiceModel[]): string {
  const rootish = services.filter(
    (service) => !service.user.knownNonRoot && !service.capDrop.includes("ALL"),
  );
  const nonRoot = services.filter((service) => service.user.knownNonRoot);
  const parts: string[] = [];
  if (rootish.length) {
    parts.push(
      `${rootish.map((service) => service.name).join(", ")} may run as root and keep Docker's default capabilities except ${DOCKER_DEFAULTS_WITHHELD}`,
    );
  }
  if (nonRoot.length) {
    parts.push(
      `${nonRoot.map((service) => service.name).join(", ")} run as a non-root uid and keep only what cap_add asks for`,
    );
  }
  const dropAll = services.filter((service) => !service.user.knownNonRoot && service.capDrop.includes("ALL"));
  if (dropAll.length) {
    parts.push(`${dropAll.map((service) => service.name).join(", ")} keep only cap_add (cap_drop: ALL)`);
  }
  return `Capabilities: ${parts.join("; ") || "no service"}`;
}
