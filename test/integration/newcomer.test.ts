import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import IORedis from "ioredis";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  newHome,
  newUserEnvironment,
  npmRunDown,
  npmStart,
  reporunnerCli,
  type StartedInstance,
} from "./support/local-instance";
import {
  bodyOf,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  objectsLabelled,
  PROJECT_DIR,
  useTestEnvironment,
} from "./support/testenv";

/**
 * The README's first screen, followed literally by a new user in a clean HOME: `npm start` in the
 * background, `npx reporunner run` of a repository on disk, its preview answers, `npx reporunner rm`,
 * `npm run down`; then nothing of theirs is left running or stored.
 */
const home = newHome();
const env = newUserEnvironment(home);
let testenv: Record<string, string>;
let instance: StartedInstance;
let runId: string;
let previewUrl: string;

beforeAll(async () => {
  testenv = useTestEnvironment();
  instance = await npmStart(env);
  console.log(`newcomer: npm start → ready API in ${instance.readySeconds.toFixed(1)}s (toolchain cached)`);
});

afterAll(async () => {
  // The test failed half-way: leave the machine as it was.
  if (instance && instance.process.exitCode === null) npmRunDown(env);
  fs.rmSync(home, { recursive: true, force: true });
});

describe("a new user following the README", () => {
  it("gets a ready API from `npm start`, with each step's progress and where the token is", () => {
    const output = instance.output();
    expect(output).toMatch(/\[1\/3\] cluster: /);
    expect(output).toMatch(/\[2\/3\] platform stack "dev"/);
    expect(output).toMatch(/\[3\/3\] Run API and workers/);
    expect(output).toContain(`(token: ${path.join(home, ".reporunner", "token")})`);
    expect(fs.statSync(path.join(home, ".reporunner", "token")).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(home, ".reporunner", "passphrase")).mode & 0o777).toBe(0o600);
    // The checkout stays clean: the stack's settings live in the home folder.
    expect(
      execFileSync("git", ["status", "--porcelain", "Pulumi.dev.yaml"], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      }),
    ).toBe("");
  });

  it("runs a repository from disk with `npx reporunner run <path>`, printing previews that answer", async () => {
    const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
    const result = reporunnerCli(env, ["run", repo.dir]);
    expect(result.code, result.stderr).toBe(0);
    previewUrl = /http:\/\/localhost:30080\/run-([a-z0-9]+)\/app\//.exec(result.stdout)?.[0] ?? "";
    runId = /run-([a-z0-9]+)\//.exec(previewUrl)?.[1] ?? "";
    expect(previewUrl, result.stdout).not.toBe("");
    expect((await bodyOf(previewUrl))?.trim()).toBe("hello from reporunner");
    const listed = JSON.parse(reporunnerCli(env, ["ls", "--json"]).stdout) as {
      id: string;
      status: string;
    }[];
    expect(listed.find((r) => r.id === runId)?.status).toBe("READY");
  });

  it("removes the run with `npx reporunner rm <id>`", async () => {
    const result = reporunnerCli(env, ["rm", runId]);
    expect(result.code, result.stderr).toBe(0);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${runId}`);
    expect(await bodyOf(previewUrl)).toBeUndefined();
  });

  it("leaves nothing running or stored after `npm run down`", async () => {
    npmRunDown(env);
    expect(await instance.exited).toBe(0);
    expect(fs.existsSync(path.join(home, ".reporunner"))).toBe(false);
    expect(kubectl(["get", "namespaces", "-o", "name"]).split("\n")).not.toContain("namespace/infra");
    expect(objectsLabelled(`reporunner.dev/run-id=${runId}`)).toEqual([]);
    expect(fs.readdirSync(PROJECT_DIR).filter((f) => f.startsWith("Pulumi.run-"))).toEqual([]);
    const mongo = await MongoClient.connect(testenv.MONGODB_URL!);
    const databases = (await mongo.db().admin().listDatabases()).databases.map((d) => d.name);
    await mongo.close();
    expect(databases).not.toContain("reporunner");
    const redis = new IORedis(`${testenv.REDIS_URL}/1`);
    expect(await redis.dbsize()).toBe(0);
    redis.disconnect();
    // The test environment was running before `npm start`: still running.
    expect(kubectl(["get", "--raw", "/readyz"])).toBe("ok");
  });
});
