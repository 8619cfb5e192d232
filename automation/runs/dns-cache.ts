/**
 * DNS answers for the URL check, kept for as long as DNS says they hold. Every POST /runs checks its
 * host's addresses (`url-policy.ts`); without a cache each one waits for getaddrinfo, whose answer is
 * the same for the record's whole TTL. The addresses still come from the system resolver (so
 * /etc/hosts and nsswitch apply as before); the TTL comes from an A/AAAA query asked alongside. A
 * name DNS does not know (a hosts-file entry) has no TTL and is never kept; nor is a failure.
 */
import { Resolver as DnsResolver } from "node:dns/promises";
import { type Resolver, systemResolver } from "./url-policy";

/** The shortest TTL of a host's A and AAAA records, in seconds; undefined when DNS has none. */
export type TtlLookup = (host: string) => Promise<number | undefined>;

/** Asks DNS for the host's A and AAAA records with their TTLs. */
export function dnsTtl(resolver = new DnsResolver({ timeout: 2_000, tries: 1 })): TtlLookup {
  return async (host) => {
    const answers = await Promise.allSettled([
      resolver.resolve4(host, { ttl: true }),
      resolver.resolve6(host, { ttl: true }),
    ]);
    const ttls = answers.flatMap((a) => (a.status === "fulfilled" ? a.value.map((r) => r.ttl) : []));
    return ttls.length > 0 ? Math.min(...ttls) : undefined;
  };
}

export interface CachingResolverOptions {
  readonly resolve?: Resolver;
  readonly ttl?: TtlLookup;
  /** The longest an answer is kept, whatever its TTL (default 300 s). */
  readonly maxTtlSeconds?: number;
  /** Hosts kept at most (default 1000); the oldest entry goes first. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * A `Resolver` that keeps each host's answer for its DNS TTL (capped), and asks once for concurrent
 * lookups of the same host.
 */
export function cachingResolver(options: CachingResolverOptions = {}): Resolver {
  const resolve = options.resolve ?? systemResolver;
  const ttlOf = options.ttl ?? dnsTtl();
  const maxTtlMs = (options.maxTtlSeconds ?? 300) * 1000;
  const maxEntries = options.maxEntries ?? 1000;
  const now = options.now ?? Date.now;
  const kept = new Map<string, { addresses: string[]; until: number }>();
  const asking = new Map<string, Promise<string[]>>();

  const ask = async (host: string): Promise<string[]> => {
    const ttl = ttlOf(host).catch(() => undefined);
    const addresses = await resolve(host);
    // The answer is not held back for the TTL query (a DNS server that does not answer must not slow
    // a hosts-file name): the entry is kept once the TTL arrives.
    const seconds = await Promise.race([ttl, Promise.resolve(PENDING)]);
    const keep = (s: number | undefined) => {
      if (s === undefined || s <= 0) return;
      if (kept.size >= maxEntries) kept.delete(kept.keys().next().value!);
      kept.set(host, { addresses, until: now() + Math.min(s * 1000, maxTtlMs) });
    };
    if (seconds === PENDING) void ttl.then(keep);
    else keep(seconds);
    return addresses;
  };

  return async (host) => {
    const entry = kept.get(host);
    if (entry && entry.until > now()) return [...entry.addresses];
    if (entry) kept.delete(host);
    let pending = asking.get(host);
    if (!pending) {
      pending = ask(host).finally(() => asking.delete(host));
      asking.set(host, pending);
    }
    return [...(await pending)];
  };
}

const PENDING = Symbol("pending");
