import type { DefinitionsDeployment, DefinitionsService, DefinitionsServiceHook } from "compose-spec-ts";
import { readBuild } from "./build";
import { readFileObjectMounts } from "./config-objects";
import { readKeyValueFile, resolveEnvironment } from "./environment";
import type { Findings } from "./issues";
import { checkPlatform, warnIgnoredServiceKeys } from "./key-policy";
import { listOrDictEntries } from "./list-or-dict";
import type {
  Dependency,
  DependencyCondition,
  ImageSource,
  PullPolicy,
  RestartPolicy,
  ServiceModel,
} from "./model";
import type { ModelContext } from "./model-context";
import { isDnsLabel, toDnsLabel } from "./names";
import { readPorts } from "./ports";
import { readHealthcheck } from "./probes";
import { readCapabilities, readDroppedCapabilities, readUser, refuseHostAccess } from "./security";
import { ShellWordsError, splitShellWords } from "./shell-words";
import {
  asBoolean,
  asInteger,
  bytesToQuantity,
  cpusToQuantity,
  parseBytes,
  parseDurationSeconds,
  wholeSeconds,
} from "./units";
import { readMounts } from "./volumes";

/** The top-level names a service may refer to. */
export interface Declared {
  readonly volumes: ReadonlySet<string>;
  readonly configs: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
}

/**
 * Sysctls the kubelet allows without node configuration (Kubernetes' "safe" set); others would
 * make the pod fail to start.
 */
const SAFE_SYSCTLS =
  /^(kernel\.shm_rmid_forced|net\.ipv4\.ip_local_port_range|net\.ipv4\.tcp_syncookies|net\.ipv4\.ping_group_range|net\.ipv4\.ip_unprivileged_port_start|net\.ipv4\.ip_local_reserved_ports|net\.ipv4\.tcp_keepalive_time|net\.ipv4\.tcp_fin_timeout|net\.ipv4\.tcp_keepalive_intvl|net\.ipv4\.tcp_keepalive_probes)$/;

const PULL_POLICIES: Record<string, PullPolicy> = {
  always: "Always",
  never: "Never",
  missing: "IfNotPresent",
  if_not_present: "IfNotPresent",
};

/**
 * Reads one compose service (with `extends` already resolved) into the model. Problems are
 * recorded in `context.findings`; the model is still returned so every problem of every service
 * is found in one pass.
 */
export function readService(
  name: string,
  service: DefinitionsService,
  declared: Declared,
  imageFor: (service: string) => string,
  context: ModelContext,
): ServiceModel {
  const path = `services.${name}`;
  const { findings } = context;
  const kubeName = toDnsLabel(name);
  if (!isDnsLabel(name)) {
    findings.warn(
      path,
      `"${name}" is not a valid Kubernetes Service name, so it is reached as "${kubeName}": rename the service to ${kubeName} so other services find it by the same name`,
    );
  }
  refuseHostAccess(service, path, findings);
  warnIgnoredServiceKeys(service, path, findings);
  checkPlatform(service, path, findings);
  const deploy = readDeploy(service, path, findings);
  return {
    name,
    kubeName,
    image: readImage(name, service, path, imageFor, context),
    ...commandField("entrypoint", service.entrypoint, path, findings),
    ...commandField("command", service.command, path, findings),
    ...(service.working_dir ? { workingDir: service.working_dir } : {}),
    environment: resolveEnvironment(service, path, context),
    ports: readPorts(service, path, findings),
    mounts: [
      ...readMounts(service, path, declared.volumes, service.build !== undefined, context),
      ...readFileObjectMounts("config", service.configs, `${path}.configs`, declared.configs, context),
      ...readFileObjectMounts("secret", service.secrets, `${path}.secrets`, declared.secrets, context),
    ],
    dependsOn: readDependsOn(service.depends_on),
    ...optional("healthcheck", readHealthcheck(service.healthcheck, `${path}.healthcheck`, findings)),
    replicas: deploy.replicas,
    resources: deploy.resources,
    ...optional("restart", readRestart(service.restart, `${path}.restart`, findings)),
    user: readUser(service.user, `${path}.user`, findings),
    capAdd: readCapabilities(service, path, findings),
    capDrop: readDroppedCapabilities(service),
    readOnlyRootFilesystem: asBoolean(service.read_only),
    annotations: readAnnotations(service, path, context),
    aliases: readAliases(service, path, findings),
    ...optional("hostname", readHostname(service.hostname, `${path}.hostname`, findings)),
    hostAliases: readExtraHosts(service.extra_hosts, `${path}.extra_hosts`, findings),
    dnsSearch: typeof service.dns_search === "string" ? [service.dns_search] : (service.dns_search ?? []),
    dnsOptions: (service.dns_opt ?? []).map((option) => {
      const [optionName, value] = option.split(/:(.*)/s);
      return value === undefined ? { name: optionName! } : { name: optionName!, value };
    }),
    sysctls: readSysctls(service, path, findings),
    supplementalGroups: readGroups(service.group_add, `${path}.group_add`, findings),
    ...optional(
      "stopGracePeriodSeconds",
      readGracePeriod(service.stop_grace_period, `${path}.stop_grace_period`, findings),
    ),
    tty: asBoolean(service.tty),
    stdinOpen: asBoolean(service.stdin_open),
    ...optional("postStart", readHook(service.post_start, `${path}.post_start`, findings)),
    ...optional("preStop", readHook(service.pre_stop, `${path}.pre_stop`, findings)),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function readImage(
  name: string,
  service: DefinitionsService,
  path: string,
  imageFor: (service: string) => string,
  context: ModelContext,
): ImageSource {
  if (service.build !== undefined) {
    const build = readBuild(service, name, path, imageFor(name), context);
    return build ? { kind: "build", build } : { kind: "pull", reference: imageFor(name) };
  }
  if (!service.image) {
    context.findings.refuse(path, "has neither image: nor build: — add one");
    return { kind: "pull", reference: "" };
  }
  if (service.pull_policy === "build") {
    context.findings.refuse(
      `${path}.pull_policy`,
      "build needs a build: section to build from: add one or remove pull_policy",
    );
  }
  // Compose pulls an image only when it is missing unless pull_policy says otherwise; Kubernetes would
  // pull `:latest` every time, and fail offline on an image the run loaded from the local engine.
  const pullPolicy = service.pull_policy ? PULL_POLICIES[service.pull_policy] : "IfNotPresent";
  return { kind: "pull", reference: service.image, ...(pullPolicy ? { pullPolicy } : {}) };
}

/**
 * `command`/`entrypoint` as a word list. A string is split into words (compose does not use a
 * shell); an empty list or string would mean "no entrypoint", which Kubernetes cannot say.
 */
function commandField(
  key: "command" | "entrypoint",
  value: string | string[] | null | undefined,
  path: string,
  findings: Findings,
): { command?: string[]; entrypoint?: string[] } {
  if (value === undefined || value === null) return {};
  const words = commandWords(value, `${path}.${key}`, findings);
  if (words === undefined) return {};
  if (words.length === 0) {
    findings.warn(
      `${path}.${key}`,
      `an empty ${key} cannot clear the image's in Kubernetes; the image's ${key} is used`,
    );
    return {};
  }
  return { [key]: words };
}

function readDependsOn(dependsOn: DefinitionsService["depends_on"]): Dependency[] {
  if (!dependsOn) return [];
  if (Array.isArray(dependsOn))
    return dependsOn.map((service) => ({ service, condition: "service_started" }));
  return Object.entries(dependsOn).map(([service, spec]) => ({
    service,
    condition: (spec?.condition ?? "service_started") as DependencyCondition,
    ...(spec?.required === false ? { required: false } : {}),
  }));
}

function readRestart(
  restart: string | undefined,
  path: string,
  findings: Findings,
): RestartPolicy | undefined {
  if (restart === undefined) return undefined;
  if (restart === "no" || restart === "always" || restart === "unless-stopped") return { kind: restart };
  const match = /^on-failure(?::(\d+))?$/.exec(restart);
  if (match) return match[1] ? { kind: "on-failure", maxRetries: Number(match[1]) } : { kind: "on-failure" };
  findings.warn(
    path,
    `"${restart}" is not a restart policy (no, always, on-failure[:N], unless-stopped); always is used`,
  );
  return { kind: "always" };
}

interface DeployModel {
  replicas: number;
  resources: { limits: Record<string, string>; requests: Record<string, string> };
}

/** `deploy` (and the older `scale`, `cpus`, `mem_limit`, `mem_reservation`) as replicas and resources. */
function readDeploy(service: DefinitionsService, path: string, findings: Findings): DeployModel {
  const deploy: DefinitionsDeployment = service.deploy ?? {};
  const at = `${path}.deploy`;
  let replicas = asInteger(deploy.replicas) ?? asInteger(service.scale) ?? 1;
  if (deploy.mode === "global") {
    findings.warn(`${at}.mode`, "global means one replica per node; a run uses one replica");
    replicas = 1;
  } else if (deploy.mode && deploy.mode !== "replicated") {
    findings.warn(
      `${at}.mode`,
      `"${deploy.mode}" is not supported; the service runs as a replicated Deployment`,
    );
  }
  for (const key of [
    "labels",
    "placement",
    "update_config",
    "rollback_config",
    "restart_policy",
    "endpoint_mode",
  ] as const) {
    if (deploy[key] !== undefined)
      findings.warn(`${at}.${key}`, "ignored: Swarm scheduling settings have no meaning in a run");
  }
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const setCpu = (target: Record<string, string>, value: string | number | undefined, where: string) => {
    if (value === undefined) return;
    const quantity = cpusToQuantity(value);
    if (quantity) target.cpu = quantity;
    else findings.warn(where, `"${value}" is not a CPU count like 0.5; no CPU setting is used`);
  };
  const setMemory = (target: Record<string, string>, value: string | number | undefined, where: string) => {
    if (value === undefined) return;
    const bytes = parseBytes(value);
    if (bytes !== undefined && bytes > 0) target.memory = bytesToQuantity(bytes);
    else findings.warn(where, `"${value}" is not a memory size like 512m; no memory setting is used`);
  };
  setCpu(limits, service.cpus, `${path}.cpus`);
  setMemory(limits, service.mem_limit, `${path}.mem_limit`);
  setMemory(requests, service.mem_reservation, `${path}.mem_reservation`);
  const resources = deploy.resources ?? {};
  setCpu(limits, resources.limits?.cpus, `${at}.resources.limits.cpus`);
  setMemory(limits, resources.limits?.memory, `${at}.resources.limits.memory`);
  setCpu(requests, resources.reservations?.cpus, `${at}.resources.reservations.cpus`);
  setMemory(requests, resources.reservations?.memory, `${at}.resources.reservations.memory`);
  if (resources.limits?.pids !== undefined)
    findings.warn(`${at}.resources.limits.pids`, "ignored: the PID limit is set per node");
  if (resources.reservations?.devices || resources.reservations?.generic_resources) {
    findings.warn(
      `${at}.resources.reservations`,
      "device and generic resource reservations (GPUs) are ignored: the cluster schedules none",
    );
  }
  return { replicas: Math.max(0, replicas), resources: { limits, requests } };
}

function readAnnotations(
  service: DefinitionsService,
  path: string,
  context: ModelContext,
): Record<string, string> {
  // A Map, then fromEntries: a label may be called __proto__.
  const annotations = new Map<string, string>();
  const labelFiles =
    typeof service.label_file === "string" ? [service.label_file] : (service.label_file ?? []);
  labelFiles.forEach((file, index) => {
    const at = typeof service.label_file === "string" ? `${path}.label_file` : `${path}.label_file[${index}]`;
    for (const [key, value] of readKeyValueFile(file, true, at, context) ?? [])
      annotations.set(key, value ?? "");
  });
  for (const [key, value] of [
    ...listOrDictEntries(service.labels),
    ...listOrDictEntries(service.annotations),
  ]) {
    annotations.set(key, value ?? "");
  }
  return Object.fromEntries(annotations);
}

/**
 * Extra names for the service: network aliases, link aliases (`db:database`) and `container_name`
 * (Docker's DNS answers a container's name on a compose network: `container_name: es` is how the
 * elasticsearch-logstash-kibana sample is reached). Each becomes one more Service with the same
 * selector, so the alias resolves as it did on the compose network.
 */
function readAliases(service: DefinitionsService, path: string, findings: Findings): string[] {
  const aliases = new Set<string>();
  if (typeof service.container_name === "string") aliases.add(service.container_name);
  if (service.networks && !Array.isArray(service.networks)) {
    for (const [network, settings] of Object.entries(service.networks)) {
      for (const alias of settings?.aliases ?? []) aliases.add(alias);
      const ignored = Object.keys(settings ?? {}).filter((key) => key !== "aliases");
      if (ignored.length) {
        findings.warn(
          `${path}.networks.${network}`,
          `${ignored.join(", ")} ignored: pods get their addresses from the cluster network`,
        );
      }
    }
  }
  for (const link of service.links ?? []) {
    const alias = link.split(":")[1];
    if (alias) aliases.add(alias);
  }
  return [...aliases];
}

function readHostname(hostname: string | undefined, path: string, findings: Findings): string | undefined {
  if (!hostname) return undefined;
  if (isDnsLabel(hostname)) return hostname;
  findings.warn(
    path,
    `"${hostname}" is not a DNS label (lowercase, no dots); the pod's generated hostname is used`,
  );
  return undefined;
}

function readExtraHosts(
  extraHosts: DefinitionsService["extra_hosts"],
  path: string,
  findings: Findings,
): Array<{ ip: string; hostnames: string[] }> {
  const pairs: Array<[string, string]> = [];
  if (Array.isArray(extraHosts)) {
    for (const entry of extraHosts) {
      const match = /^([^=:]+)[=:](.+)$/.exec(entry);
      if (match) pairs.push([match[1]!, match[2]!.replace(/^\[|\]$/g, "")]);
    }
  } else if (extraHosts) {
    for (const [host, ips] of Object.entries(extraHosts)) {
      for (const ip of Array.isArray(ips) ? ips : [ips]) pairs.push([host, String(ip)]);
    }
  }
  const byIp = new Map<string, string[]>();
  for (const [host, ip] of pairs) {
    if (ip === "host-gateway") {
      findings.warn(path, `${host}:host-gateway is dropped: a run cannot reach the host`);
      continue;
    }
    byIp.set(ip, [...(byIp.get(ip) ?? []), host]);
  }
  return [...byIp].map(([ip, hostnames]) => ({ ip, hostnames }));
}

function readSysctls(
  service: DefinitionsService,
  path: string,
  findings: Findings,
): Array<{ name: string; value: string }> {
  const sysctls: Array<{ name: string; value: string }> = [];
  for (const [name, value] of listOrDictEntries(service.sysctls)) {
    if (SAFE_SYSCTLS.test(name)) sysctls.push({ name, value: value ?? "" });
    else
      findings.warn(
        `${path}.sysctls.${name}`,
        "ignored: Kubernetes allows only namespaced safe sysctls without node changes",
      );
  }
  return sysctls;
}

function readGroups(groups: Array<string | number> | undefined, path: string, findings: Findings): number[] {
  const numeric: number[] = [];
  for (const group of groups ?? []) {
    if (/^\d+$/.test(String(group))) numeric.push(Number(group));
    else
      findings.warn(
        path,
        `group "${group}" is a name; Kubernetes needs numeric group ids, so it is left out`,
      );
  }
  return numeric;
}

function readGracePeriod(value: string | undefined, path: string, findings: Findings): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) {
    findings.warn(path, `"${value}" is not a duration like 30s; the default grace period is used`);
    return undefined;
  }
  return wholeSeconds(seconds, 0);
}

/** A lifecycle hook; Kubernetes runs one command per hook, as the container's own user. */
function readHook(
  hooks: DefinitionsServiceHook[] | undefined,
  path: string,
  findings: Findings,
): string[] | undefined {
  if (!hooks?.length) return undefined;
  hooks.forEach((hook, index) => {
    if (asBoolean(hook.privileged))
      findings.refuse(`${path}[${index}].privileged`, "privileged hooks are not allowed: remove privileged");
    if (hook.user || hook.working_dir || hook.environment) {
      findings.warn(
        `${path}[${index}]`,
        "user, working_dir and environment of a hook are ignored: it runs in the container's own",
      );
    }
  });
  if (hooks.length > 1)
    findings.warn(path, "Kubernetes runs one command per hook; the hooks are chained with && in one shell");
  const commands = hooks.map((hook, index) =>
    commandWords(hook.command ?? [], `${path}[${index}].command`, findings),
  );
  if (commands.some((words) => words === undefined)) return undefined;
  if (commands.length === 1) return commands[0];
  return ["/bin/sh", "-c", commands.map((words) => words!.map(shellQuote).join(" ")).join(" && ")];
}

/** A command as words; a string with an open quote is refused at `at`, the key it came from. */
function commandWords(value: string | string[], at: string, findings: Findings): string[] | undefined {
  if (typeof value !== "string") return value;
  try {
    return splitShellWords(value);
  } catch (error) {
    if (!(error instanceof ShellWordsError)) throw error;
    findings.refuse(at, `${error.message}: close the quote`);
    return undefined;
  }
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
