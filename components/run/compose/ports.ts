import type { DefinitionsService } from "compose-spec-ts";
import type { Findings } from "./issues";
import type { Protocol } from "./kube-types";
import type { PortModel } from "./model";

/** A range wider than this is almost always a mistake and would make an unwieldy Service. */
const MAX_PORTS_PER_SERVICE = 100;

/**
 * Reads `ports` (short `[[ip:]published:]target[/proto]` with ranges, and long syntax) and `expose`
 * into container ports. Within the cluster other services reach a compose service on its container
 * port (as on a compose network), so the Service uses the target port; the published port is kept
 * only so the caller can offer it as a preview.
 */
export function readPorts(service: DefinitionsService, path: string, findings: Findings): PortModel[] {
  const ports: PortModel[] = [];
  (service.ports ?? []).forEach((entry, index) => {
    const at = `${path}.ports[${index}]`;
    if (typeof entry === "object") ports.push(...readLongPort(entry, at, findings));
    else ports.push(...readShortPort(String(entry), at, findings));
  });
  (service.expose ?? []).forEach((entry, index) => {
    const at = `${path}.expose[${index}]`;
    const match = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(String(entry));
    if (!match)
      return findings.refuse(at, `"${entry}" is not a port: write a port like 3000, 3000-3005 or 3000/udp`);
    const protocol = readProtocol(match[3], at, findings);
    for (const target of expandRange(match[1]!, match[2], at, findings)) ports.push({ target, protocol });
  });
  const unique = dedupe(ports);
  if (unique.length > MAX_PORTS_PER_SERVICE) {
    findings.refuse(
      `${path}.ports`,
      `${unique.length} ports is more than the ${MAX_PORTS_PER_SERVICE} a run allows: narrow the port ranges`,
    );
    return [];
  }
  return unique;
}

/**
 * The one host port a `published` value names ("8088" of "8088:80", "127.0.0.1:8088:80" or
 * `published: 8088`); undefined for a range or none (compose would pick one), so the caller keeps
 * the container's port.
 */
export function publishedHostPort(published: string): number | undefined {
  if (!/^\d+$/.test(published)) return undefined;
  const port = Number(published);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function readShortPort(text: string, at: string, findings: Findings): PortModel[] {
  const [spec, protocolText] = splitProtocol(text);
  let rest = spec;
  if (rest.startsWith("[")) {
    // An IPv6 host address: [::1]:8080:80
    const close = rest.indexOf("]:");
    rest = close >= 0 ? rest.slice(close + 2) : rest;
    findings.warn(
      at,
      "the host address is ignored: a run publishes ports through its preview, not on a host interface",
    );
  }
  const parts = rest.split(":");
  if (parts.length === 3) {
    findings.warn(
      at,
      "the host address is ignored: a run publishes ports through its preview, not on a host interface",
    );
    parts.shift();
  }
  if (parts.length > 2) {
    findings.refuse(at, `"${text}" is not a port mapping: write [host_ip:][published:]target[/protocol]`);
    return [];
  }
  const target = parts.at(-1)!;
  const published = parts.length === 2 && parts[0] !== "" ? parts[0] : undefined;
  const match = /^(\d+)(?:-(\d+))?$/.exec(target);
  if (!match || (published !== undefined && !/^\d+(-\d+)?$/.test(published))) {
    findings.refuse(at, `"${text}" is not a port mapping: write [host_ip:][published:]target[/protocol]`);
    return [];
  }
  const protocol = readProtocol(protocolText, at, findings);
  const targets = expandRange(match[1]!, match[2], at, findings);
  const publishedPorts = published?.includes("-")
    ? expandRange(...(published.split("-") as [string, string]), at, findings)
    : [];
  return targets.map((port, offset) => ({
    target: port,
    protocol,
    // A `ports:` entry is always published; without a host port compose picks one ("").
    published: publishedPorts.length === targets.length ? String(publishedPorts[offset]) : (published ?? ""),
  }));
}

function readLongPort(
  entry: Exclude<NonNullable<DefinitionsService["ports"]>[number], string | number>,
  at: string,
  findings: Findings,
): PortModel[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(String(entry.target ?? ""));
  if (!match) {
    findings.refuse(
      `${at}.target`,
      `"${entry.target ?? ""}" is not a container port: write a number like 8080`,
    );
    return [];
  }
  if (entry.host_ip)
    findings.warn(
      `${at}.host_ip`,
      "ignored: a run publishes ports through its preview, not on a host interface",
    );
  if (entry.mode === "host")
    findings.warn(`${at}.mode`, "ignored: every port is reached through the service's ClusterIP");
  const protocol = readProtocol(entry.protocol, at, findings);
  const name = entry.name !== undefined && isPortName(entry.name) ? entry.name : undefined;
  if (entry.name !== undefined && name === undefined) {
    findings.warn(
      `${at}.name`,
      `"${entry.name}" is not a valid Kubernetes port name (lowercase, at most 15 characters); a generated name is used`,
    );
  }
  return expandRange(match[1]!, match[2], at, findings).map((target) => ({
    target,
    protocol,
    ...(entry.published !== undefined && entry.published !== ""
      ? { published: String(entry.published) }
      : {}),
    ...(name ? { name } : {}),
    ...(entry.app_protocol ? { appProtocol: entry.app_protocol } : {}),
  }));
}

function splitProtocol(text: string): [string, string | undefined] {
  const slash = text.lastIndexOf("/");
  return slash < 0 ? [text, undefined] : [text.slice(0, slash), text.slice(slash + 1)];
}

function readProtocol(text: string | undefined, at: string, findings: Findings): Protocol {
  const protocol = (text ?? "tcp").toLowerCase();
  if (protocol === "tcp" || protocol === "udp" || protocol === "sctp")
    return protocol.toUpperCase() as Protocol;
  findings.refuse(at, `protocol "${text}" is not supported: use tcp, udp or sctp`);
  return "TCP";
}

function expandRange(first: string, last: string | undefined, at: string, findings: Findings): number[] {
  const start = Number(first);
  const end = last === undefined ? start : Number(last);
  if (start < 1 || end > 65535 || end < start) {
    findings.refuse(at, `${first}${last ? `-${last}` : ""} is not a port range: ports are 1-65535, low-high`);
    return [];
  }
  if (end - start >= MAX_PORTS_PER_SERVICE) {
    findings.refuse(at, `the range ${start}-${end} has more than ${MAX_PORTS_PER_SERVICE} ports: narrow it`);
    return [];
  }
  return Array.from({ length: end - start + 1 }, (_, offset) => start + offset);
}

/** The same container port may appear in both `ports` and `expose`; keep the most informative. */
function dedupe(ports: PortModel[]): PortModel[] {
  const byKey = new Map<string, PortModel>();
  for (const port of ports) {
    const key = `${port.target}/${port.protocol}`;
    const existing = byKey.get(key);
    byKey.set(
      key,
      existing ? { ...port, ...existing, published: existing.published ?? port.published } : port,
    );
  }
  return [...byKey.values()];
}

/** A Kubernetes port name: IANA_SVC_NAME, at most 15 characters with at least one letter. */
export function isPortName(name: string): boolean {
  return (
    name.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.includes("--")
  );
}
