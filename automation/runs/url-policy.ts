/**
 * Which repository URLs a run may clone. The server (or the engine on its behalf) fetches whatever
 * URL a user names, so a URL is an SSRF vector: the host's every DNS address is checked against the
 * loopback, private, link-local and other non-public ranges, unless configured otherwise. The check
 * runs when a run is created or redeployed, and again right before the clone, which then connects to
 * the addresses it checked and to nothing else (no second DNS lookup, no redirects): see
 * `engine/source-checkout.ts`. A local path (a working tree on the API's own machine) is refused
 * unless local sources are enabled.
 */
import { lookup } from "node:dns/promises";
import { stat } from "node:fs/promises";
import { BlockList, isIP } from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "../api/errors";

/** The policy's knobs (from the configuration). */
export interface UrlPolicyOptions {
  /** Also accept `http:` (default: `https:` only). */
  readonly allowHttp: boolean;
  /** When not empty, only these hosts (or their subdomains, for an entry `.example.com`). */
  readonly allowedHosts: readonly string[];
  /** Accept hosts that resolve to loopback, private or link-local addresses (a lab setup). */
  readonly allowPrivateTargets: boolean;
  /** Accept an absolute path (or `file://` URL) of a git working tree on this machine (default: no). */
  readonly allowLocalSources?: boolean;
  /**
   * Non-public addresses accepted all the same, each exactly as the resolver answers it (a lab's own
   * Git server; the tests' server on 127.0.0.1). Default: none. Moot with `allowPrivateTargets`.
   */
  readonly allowedPrivateAddresses?: readonly string[];
}

/** Resolves a host name to every address it has; injectable so tests need no network. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver: every A and AAAA answer, as getaddrinfo gives them. */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

// Ranges that are not the public Internet (IANA special-purpose registries).
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv6");
}

/** Whether an IP address is outside the public Internet (IPv4-mapped IPv6 is checked as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, "ipv4");
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? hexMapped(address);
  if (mapped) return BLOCKED.check(mapped, "ipv4");
  return BLOCKED.check(address, "ipv6");
}

/** `::ffff:7f00:1` → `127.0.0.1`; the WHATWG URL parser writes mapped addresses this way. */
function hexMapped(address: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function refuse(message: string, code = "invalid_repo_url"): AppError {
  return new AppError(code, message, 422, "repoUrl");
}

/** Whether `repoUrl` names a directory on the API's machine (an absolute path or a `file:` URL). */
export function isLocalSource(raw: string): boolean {
  return raw.startsWith("/") || /^file:/i.test(raw);
}

/** A repository on the network that passed the policy, and where it may be fetched from. */
export interface CheckedRemote {
  readonly kind: "remote";
  /** The normalised URL. */
  readonly url: string;
  /** The host as git's HTTP layer names it (a name, an IPv4 literal or a bracketed IPv6 literal). */
  readonly host: string;
  /** The port the URL names, or its scheme's default. */
  readonly port: number;
  /**
   * The addresses the host name resolved to, every one of them checked: a fetch must connect to one of
   * these and not look the name up again, or a DNS answer that changed in between (rebinding) would
   * take it elsewhere. Empty when nothing was resolved (an IP literal, or private targets allowed).
   */
  readonly addresses: readonly string[];
}

/** A git working tree on the API's machine (local sources enabled). */
export interface CheckedLocal {
  readonly kind: "local";
  /** The absolute path of the working tree. */
  readonly path: string;
}

/** What `checkRepoSource` accepted. */
export type CheckedSource = CheckedRemote | CheckedLocal;

/**
 * Checks a repository URL; resolves to the normalised URL (for a local source: the absolute path) or
 * throws an AppError naming `repoUrl`.
 */
export async function checkRepoUrl(
  raw: string,
  options: UrlPolicyOptions,
  resolve: Resolver = systemResolver,
): Promise<string> {
  const source = await checkRepoSource(raw, options, resolve);
  return source.kind === "local" ? source.path : source.url;
}

/**
 * Checks a repository URL and says where it may be fetched from: the addresses that were checked,
 * which a clone pins (`source-checkout.ts`). Throws an AppError naming `repoUrl`.
 */
export async function checkRepoSource(
  raw: string,
  options: UrlPolicyOptions,
  resolve: Resolver = systemResolver,
): Promise<CheckedSource> {
  if (isLocalSource(raw)) return { kind: "local", path: await checkLocalSource(raw, options) };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("repoUrl is not a URL");
  }
  const schemes = options.allowHttp ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) throw refuse(`repoUrl must use ${schemes.join(" or ")}`);
  if (url.username || url.password) {
    throw refuse("repoUrl must not carry credentials", "credentials_in_url");
  }
  if (url.search || url.hash) throw refuse("repoUrl must not have a query or a fragment");
  const host = url.hostname.toLowerCase();
  if (!host) throw refuse("repoUrl has no host");
  if (options.allowedHosts.length > 0 && !options.allowedHosts.some((h) => hostMatches(host, h))) {
    throw refuse(`repoUrl's host ${host} is not allowed`, "host_not_allowed");
  }
  const port = url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  const checked = { kind: "remote", url: url.toString(), host, port } as const;
  if (options.allowPrivateTargets) return { ...checked, addresses: [] };
  const literal = host.startsWith("[") ? host.slice(1, -1) : host;
  let addresses: string[];
  if (isIP(literal)) {
    addresses = [literal];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw refuse(`repoUrl's host ${host} does not resolve`, "unresolvable_host");
    }
  }
  if (addresses.length === 0) throw refuse(`repoUrl's host ${host} does not resolve`, "unresolvable_host");
  const allowed = new Set(options.allowedPrivateAddresses ?? []);
  if (addresses.some((a) => isNonPublicAddress(a) && !allowed.has(a))) {
    throw refuse("repoUrl points to a loopback, private or link-local address", "forbidden_target");
  }
  return { ...checked, addresses: isIP(literal) ? [] : addresses };
}

/** A local source: allowed by configuration, and a directory with a `.git` (a working tree). */
async function checkLocalSource(raw: string, options: UrlPolicyOptions): Promise<string> {
  if (!options.allowLocalSources) {
    // 400, not 422: the request asks for something this server does not offer at all.
    throw new AppError(
      "local_sources_disabled",
      "repoUrl is a local path, and this API runs no local repositories (start it with REPORUNNER_ALLOW_LOCAL_SOURCES=true)",
      400,
      "repoUrl",
    );
  }
  let dir: string;
  try {
    dir = path.resolve(raw.startsWith("/") ? raw : fileURLToPath(raw));
  } catch {
    throw refuse("repoUrl is not a file:// URL of a local directory (file:///absolute/path)");
  }
  const isDirectory = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory)
    throw refuse(`repoUrl ${dir} is not a directory on the API's machine`, "local_source_not_found");
  // `.git` is a directory in a clone and a file in a linked worktree or a submodule: either will do.
  const hasGit = await stat(path.join(dir, ".git")).then(
    () => true,
    () => false,
  );
  if (!hasGit) throw refuse(`repoUrl ${dir} is not a git working tree (it has no .git)`, "not_a_repository");
  return dir;
}

/** `example.com` matches itself; `.example.com` matches its subdomains and itself. */
function hostMatches(host: string, entry: string): boolean {
  if (entry.startsWith(".")) return host === entry.slice(1) || host.endsWith(entry);
  return host === entry;
}
