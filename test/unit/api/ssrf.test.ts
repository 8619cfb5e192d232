/**
 * SSRF through the clone: the URL policy is checked when a run is created, but the clone happens
 * later. These tests hold the clone to what was checked: a name whose DNS answer changes in between
 * (rebinding), a server that redirects elsewhere, and a redeploy after the answer changed. Every
 * server here listens on a loopback address, and every name is `localhost`, which /etc/hosts answers:
 * nothing leaves the machine, even when a check fails open.
 */
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import {
  CheckoutError,
  checkoutSource,
  type CheckoutRequest,
} from "../../../automation/engine/source-checkout";
import { RunService, type RunServiceDeps } from "../../../automation/runs/service";
import type { StoredRun } from "../../../automation/runs/store";
import { checkRepoUrl, type Resolver, type UrlPolicyOptions } from "../../../automation/runs/url-policy";
import { serveGitOverHttp } from "../../integration/support/git-http-server";
import { committedRepo, git } from "../../support/git-fixture";

/** A public address; no test connects to it (a check that passed is never followed by a fetch to it). */
const PUBLIC = "93.184.216.34";

/** Answers `answers[0]` to the first lookup, `answers[1]` to the second, and so on; counts lookups. */
function changingResolver(...answers: string[][]): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (host: string) => {
    calls.push(host);
    return answers[Math.min(calls.length - 1, answers.length - 1)]!;
  };
  return Object.assign(resolver, { calls });
}

const checkoutDirs: string[] = [];
function newCheckoutDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "reporunner-ssrf-"));
  checkoutDirs.push(dir);
  return dir;
}

/** The error a checkout fails with, or undefined when it succeeded. */
async function checkoutFailure(request: Omit<CheckoutRequest, "environment">): Promise<Error | undefined> {
  try {
    await checkoutSource({ ...request, environment: process.env });
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

let repo: string;
let repoPath: string;
let origin: Awaited<ReturnType<typeof serveGitOverHttp>>;
const originHits: string[] = [];
let other: Awaited<ReturnType<typeof serveGitOverHttp>>;
const otherHits: string[] = [];
let redirector: http.Server;
let redirectorPort: number;

beforeAll(async () => {
  repo = committedRepo();
  repoPath = `${basename(repo)}/.git`;
  origin = await serveGitOverHttp(dirname(repo), { onRequest: (p) => originHits.push(p) });
  // Another loopback address stands for an internal host: the same repository, so a client that
  // followed a redirect there would succeed.
  other = await serveGitOverHttp(dirname(repo), { host: "127.0.0.2", onRequest: (p) => otherHits.push(p) });
  redirector = http.createServer((req, res) => {
    res.writeHead(302, { location: `http://127.0.0.2:${other.port}${req.url}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
  redirectorPort = (redirector.address() as { port: number }).port;
});

afterAll(async () => {
  await origin.close();
  await other.close();
  await new Promise((r) => redirector.close(r));
  for (const dir of [...checkoutDirs, repo]) rmSync(dir, { recursive: true, force: true });
});

const policy: UrlPolicyOptions = { allowHttp: true, allowedHosts: [], allowPrivateTargets: false };

describe("the clone of a checked URL", () => {
  it("refuses a name that resolved to a public address at create time and to 127.0.0.1 at clone time", async () => {
    const url = `http://localhost:${origin.port}/${repoPath}`;
    const resolver = changingResolver([PUBLIC], ["127.0.0.1"]);
    // Create time: the answer is public, so the run is accepted.
    await expect(checkRepoUrl(url, policy, resolver)).resolves.toBe(url);
    originHits.length = 0;

    const failure = await checkoutFailure({
      repoUrl: url,
      dir: newCheckoutDir(),
      urlPolicy: policy,
      resolver,
    });
    expect(failure).toBeInstanceOf(CheckoutError);
    expect(failure!.message).toMatch(/loopback, private or link-local address/);
    expect(originHits).toEqual([]);
  });

  it("connects to the address it checked, with no lookup of its own", async () => {
    // The server listens on 127.0.0.2 only; the system resolves localhost to 127.0.0.1, where nothing
    // serves this port. Only a clone pinned to the checked answer can reach it.
    const url = `http://localhost:${other.port}/${repoPath}`;
    const resolver = changingResolver(["127.0.0.2"]);
    const lab = { ...policy, allowedPrivateAddresses: ["127.0.0.2"] };
    otherHits.length = 0;

    const { commitSha } = await checkoutSource({
      environment: process.env,
      repoUrl: url,
      dir: newCheckoutDir(),
      urlPolicy: lab,
      resolver,
    });
    expect(commitSha).toBe(git(repo, "rev-parse", "HEAD"));
    expect(resolver.calls).toEqual(["localhost"]);
    expect(otherHits.length).toBeGreaterThan(0);
  });

  it("does not follow a redirect to another address, and says so", async () => {
    const url = `http://127.0.0.1:${redirectorPort}/${repoPath}`;
    // The test's own origin is allowed through the policy's exception list; 127.0.0.2 is not.
    const lab = { ...policy, allowedPrivateAddresses: ["127.0.0.1"] };
    await expect(checkRepoUrl(url, lab, changingResolver())).resolves.toBe(url);
    otherHits.length = 0;

    const failure = await checkoutFailure({
      repoUrl: url,
      dir: newCheckoutDir(),
      urlPolicy: lab,
      resolver: changingResolver(),
    });
    expect(failure).toBeInstanceOf(CheckoutError);
    expect(failure!.message).toMatch(/redirect \(HTTP 302\), which is not followed/);
    expect(otherHits).toEqual([]);
  });

  it("does not follow redirects even when no policy is given", async () => {
    otherHits.length = 0;
    const failure = await checkoutFailure({
      repoUrl: `http://127.0.0.1:${redirectorPort}/${repoPath}`,
      dir: newCheckoutDir(),
    });
    expect(failure?.message).toMatch(/redirect \(HTTP 302\)/);
    expect(otherHits).toEqual([]);
  });

  it("refuses submodules when URLs are checked (their URLs come from the repository)", async () => {
    const failure = await checkoutFailure({
      repoUrl: `http://localhost:${origin.port}/${repoPath}`,
      dir: newCheckoutDir(),
      urlPolicy: policy,
      resolver: changingResolver([PUBLIC]),
      submodules: true,
    });
    expect(failure?.message).toMatch(/submodules are not fetched/);
  });
});

describe("redeploy", () => {
  /** A READY run, and a service whose store records whether the run was moved. */
  function serviceWith(resolver: Resolver) {
    const at = new Date("2030-01-01T00:00:00Z");
    const run = {
      _id: "abcdefgh1",
      owner: "alice",
      repoUrl: "https://repo.example.test/org/app.git",
      ref: null,
      mode: "auto",
      env: {},
      ttlSeconds: 3600,
      status: "READY",
      history: [],
      createdAt: at,
      updatedAt: at,
      expiresAt: at,
    } as unknown as StoredRun;
    const moved: string[] = [];
    const deps = {
      store: {
        getOwned: async () => run,
        transition: async (_id: string, to: string) => {
          moved.push(to);
          return { ok: true, run: { ...run, status: to } };
        },
        patch: async () => undefined,
      },
      queue: { enqueue: async () => undefined },
      events: { append: async () => "1-0" },
      queueReady: async () => undefined,
      logger: pino({ level: "silent" }),
      urlPolicy: { allowHttp: false, allowedHosts: [], allowPrivateTargets: false },
      resolver,
      defaultTtlSeconds: 3600,
      maxTtlSeconds: 86400,
    } as unknown as RunServiceDeps;
    return { service: new RunService(deps), moved };
  }

  it("checks the URL again and refuses a host that now resolves to a private address", async () => {
    const { service, moved } = serviceWith(changingResolver(["10.0.0.7"]));
    await expect(service.redeploy("alice", "abcdefgh1")).rejects.toMatchObject({
      status: 422,
      code: "forbidden_target",
      field: "repoUrl",
    });
    expect(moved).toEqual([]);
  });

  it("queues the run again while the host still resolves to a public address", async () => {
    const { service, moved } = serviceWith(changingResolver([PUBLIC]));
    await service.redeploy("alice", "abcdefgh1");
    expect(moved).toEqual(["QUEUED"]);
  });
});
