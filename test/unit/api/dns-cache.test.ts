import { describe, expect, it } from "vitest";
import { cachingResolver } from "../../../automation/runs/dns-cache";

/** A resolver that counts its lookups and answers from a table. */
function countingResolver(answers: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const found = answers[host];
    if (!found) throw new Error(`ENOTFOUND ${host}`);
    return found;
  };
  return { resolve, calls };
}

describe("DNS answers for the URL check", () => {
  it("keeps an answer for its TTL, then asks again", async () => {
    let clock = 0;
    const { resolve, calls } = countingResolver({ "git.example.com": ["203.0.113.7"] });
    const cached = cachingResolver({ resolve, ttl: async () => 30, now: () => clock });
    expect(await cached("git.example.com")).toEqual(["203.0.113.7"]);
    clock = 29_000;
    expect(await cached("git.example.com")).toEqual(["203.0.113.7"]);
    expect(calls).toHaveLength(1);
    clock = 30_001;
    await cached("git.example.com");
    expect(calls).toHaveLength(2);
  });

  it("caps a long TTL", async () => {
    let clock = 0;
    const { resolve, calls } = countingResolver({ "git.example.com": ["203.0.113.7"] });
    const cached = cachingResolver({ resolve, ttl: async () => 86_400, maxTtlSeconds: 60, now: () => clock });
    await cached("git.example.com");
    clock = 61_000;
    await cached("git.example.com");
    expect(calls).toHaveLength(2);
  });

  it("never keeps a name without a DNS TTL (a hosts-file entry) or a failed lookup", async () => {
    const { resolve, calls } = countingResolver({ "gitserver.lan": ["192.168.1.9"] });
    const cached = cachingResolver({ resolve, ttl: async () => undefined });
    await cached("gitserver.lan");
    await cached("gitserver.lan");
    await expect(cached("nowhere.example")).rejects.toThrow(/ENOTFOUND/);
    await expect(cached("nowhere.example")).rejects.toThrow(/ENOTFOUND/);
    expect(calls).toEqual(["gitserver.lan", "gitserver.lan", "nowhere.example", "nowhere.example"]);
  });

  it("asks once for concurrent lookups of one host", async () => {
    const { resolve, calls } = countingResolver({ "git.example.com": ["203.0.113.7"] });
    const cached = cachingResolver({ resolve, ttl: async () => 0 });
    await Promise.all([cached("git.example.com"), cached("git.example.com"), cached("git.example.com")]);
    expect(calls).toHaveLength(1);
  });

  it("hands out copies: a caller changing its list does not change the cache", async () => {
    const { resolve } = countingResolver({ "git.example.com": ["203.0.113.7"] });
    const cached = cachingResolver({ resolve, ttl: async () => 30 });
    (await cached("git.example.com")).push("127.0.0.1");
    expect(await cached("git.example.com")).toEqual(["203.0.113.7"]);
  });
});
