import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { programHostsFor, PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { ProgramHostPool } from "../../automation/engine/program-host/program-host-pool";
import type { EngineListener } from "../../automation/engine/run-engine";
import {
  bodyOf,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  testEnvironmentEngine,
  useTestEnvironment,
} from "./support/testenv";

/**
 * Program hosts on the real engine: one warm host (pool of 1) runs update after update. A program
 * that fails (a refused compose file) leaves the host fit for the next run; a host that dies is
 * replaced; a host sees only the CLI's allow-listed environment, never the Run API's variables.
 */
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };
const suffix = Date.now().toString(36).slice(-6);
let engine: PulumiRunEngine;
let hosts: ProgramHostPool;
const deployed: string[] = [];

beforeAll(() => {
  const env = useTestEnvironment();
  // What a worker process holds in its environment; the host must not inherit it.
  process.env.REPORUNNER_MONGODB_URL = "mongodb://api-only.invalid/reporunner";
  const base = testEnvironmentEngine(env, { programHosts: 0 });
  const options = (base as unknown as { options: ConstructorParameters<typeof PulumiRunEngine>[0] }).options;
  hosts = programHostsFor(options, 1);
  engine = new PulumiRunEngine({ ...options, programHosts: hosts });
});

afterAll(async () => {
  for (const id of deployed) await engine.destroy(id, quiet).catch(() => undefined);
  hosts?.close();
  delete process.env.REPORUNNER_MONGODB_URL;
});

async function deploy(fixture: string, id: string) {
  deployed.push(id);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", fixture));
  return engine.deploy({ runId: id, repoUrl: repo.url, mode: "auto", env: {} }, quiet);
}

describe("program hosts", () => {
  let firstHost: number;

  it("runs a refused compose file to a failure that names the refusal", async () => {
    await expect(deploy("refused-privileged", `ph1${suffix}`)).rejects.toThrow(/privileged/);
    expect(hosts.hostPids()).toHaveLength(1);
    firstHost = hosts.hostPids()[0]!;
  });

  it("deploys the next run in the same host, its preview answering", async () => {
    const result = await deploy("hello-dockerfile", `ph2${suffix}`);
    expect(hosts.hostPids()).toEqual([firstHost]);
    expect(await bodyOf(Object.values(result.previewUrls)[0]!)).toMatch(/hello/i);
    expect(kubectl(["get", "deployments", "-n", `run-ph2${suffix}`, "-o", "name"])).toMatch(/deployment/);
  });

  it("gives the host only the CLI's environment", () => {
    const environ = fs.readFileSync(`/proc/${firstHost}/environ`, "utf8").split("\0");
    expect(environ.some((entry) => entry.startsWith("PATH="))).toBe(true);
    expect(environ.filter((entry) => entry.startsWith("REPORUNNER_"))).toEqual([]);
  });

  it("replaces a host that died, and the next run deploys", async () => {
    process.kill(firstHost, "SIGKILL");
    await expect.poll(() => hosts.hostPids(), { timeout: 5_000 }).toEqual([]);
    const result = await deploy("hello-dockerfile", `ph3${suffix}`);
    expect(hosts.hostPids()).toHaveLength(1);
    expect(hosts.hostPids()[0]).not.toBe(firstHost);
    expect(await bodyOf(Object.values(result.previewUrls)[0]!)).toMatch(/hello/i);
  });
});
