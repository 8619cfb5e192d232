import { describe, expect, it } from "vitest";
import {
  checkRepoUrl,
  isNonPublicAddress,
  type Resolver,
  type UrlPolicyOptions,
} from "../../../automation/runs/url-policy";

const strict: UrlPolicyOptions = { allowHttp: false, allowedHosts: [], allowPrivateTargets: false };
const resolver: Resolver = async (host) => {
  const table: Record<string, string[]> = {
    "github.com": ["140.82.121.3"],
    "mixed.test": ["140.82.121.3", "192.168.1.10"],
    "v6private.test": ["fd12::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
  };
  const found = table[host];
  if (!found) throw new Error("ENOTFOUND");
  return found;
};

async function refusal(url: string, options: UrlPolicyOptions = strict) {
  try {
    await checkRepoUrl(url, options, resolver);
  } catch (err: any) {
    return { code: err.code, field: err.field, status: err.status };
  }
  return undefined;
}

describe("checkRepoUrl", () => {
  it("accepts a public https URL and normalises it", async () => {
    await expect(checkRepoUrl("https://GitHub.com/org/repo.git", strict, resolver)).resolves.toBe(
      "https://github.com/org/repo.git",
    );
  });

  it.each([
    ["http://github.com/o/r", "invalid_repo_url"],
    ["git://github.com/o/r", "invalid_repo_url"],
    ["ssh://git@github.com/o/r", "invalid_repo_url"],
    ["not a url", "invalid_repo_url"],
    ["https://user:pass@github.com/o/r", "credentials_in_url"],
    ["https://token@github.com/o/r", "credentials_in_url"],
    ["https://github.com/o/r?x=1", "invalid_repo_url"],
    ["https://127.0.0.1/o/r", "forbidden_target"],
    ["https://0x7f.1/o/r", "forbidden_target"],
    ["https://2130706433/o/r", "forbidden_target"],
    ["https://[::1]/o/r", "forbidden_target"],
    ["https://[::ffff:127.0.0.1]/o/r", "forbidden_target"],
    ["https://[fe80::1]/o/r", "forbidden_target"],
    ["https://10.1.2.3/o/r", "forbidden_target"],
    ["https://169.254.169.254/latest/meta-data", "forbidden_target"],
    ["https://mixed.test/o/r", "forbidden_target"],
    ["https://v6private.test/o/r", "forbidden_target"],
    ["https://mapped.test/o/r", "forbidden_target"],
    ["https://metadata.test/o/r", "forbidden_target"],
    ["https://nowhere.test/o/r", "unresolvable_host"],
  ])("refuses %s (%s), naming repoUrl", async (url, code) => {
    expect(await refusal(url)).toEqual({ code, field: "repoUrl", status: 422 });
  });

  it("checks every resolved address, not just the first", async () => {
    expect((await refusal("https://mixed.test/x"))?.code).toBe("forbidden_target");
  });

  it("accepts private targets and http only when configured", async () => {
    const lab = { allowHttp: true, allowedHosts: [], allowPrivateTargets: true };
    expect(await refusal("http://10.0.0.5/o/r", lab)).toBeUndefined();
    expect(await refusal("https://[::1]/o/r", lab)).toBeUndefined();
  });

  it("enforces the host allow-list, subdomains only with a leading dot", async () => {
    const allow = { ...strict, allowedHosts: ["github.com", ".example.org"] };
    expect(await refusal("https://github.com/o/r", allow)).toBeUndefined();
    expect((await refusal("https://evilgithub.com/o/r", allow))?.code).toBe("host_not_allowed");
    expect((await refusal("https://gist.github.com/o/r", allow))?.code).toBe("host_not_allowed");
  });
});

describe("isNonPublicAddress", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.0.1",
    "169.254.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "fc00::1",
    "fe80::1",
    "::ffff:10.0.0.1",
    "::ffff:a00:1",
    "224.0.0.1",
    "garbage",
  ])("%s is not public", (a) => expect(isNonPublicAddress(a)).toBe(true));
  it.each(["140.82.121.3", "8.8.8.8", "2606:4700::1111"])("%s is public", (a) =>
    expect(isNonPublicAddress(a)).toBe(false),
  );
});
