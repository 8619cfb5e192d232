import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import IORedis from "ioredis";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
 * `npm run down`; then nothing of theirs is left running or stored. Only the toolchain cache and the
 * machine-wide test environment are shared with the rest of the suite (REPORUNNER_CACHE,
 * REPORUNNER_STATE), which is what a second checkout on the same machine would see too.
 */
const realHome = os.homedir();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-newcomer-"));
let testenv: Record<string, string>;
let env: NodeJS.ProcessEnv;
let start: ChildProcess;
let startOutput = "";
let startExit: Promise<number | null>;
let readySeconds: number;
let runId: string;
let previewUrl: string;

/** A shell's environment without the test environment's variables (a new user has none of them). */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const keep = ["PATH", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR"];
  const base = Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
  return {
    ...base,
    HOME: home,
    REPORUNNER_CACHE: path.join(realHome, ".cache", "reporunner"),
    REPORUNNER_STATE: path.join(realHome, ".local", "state", "reporunner"),
    // Any free port: the suite's other servers may hold 8080.
    REPORUNNER_PORT: "0",
  };
}

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync("npx", ["reporunner", ...args], {
      cwd: PROJECT_DIR,
      env,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  testenv = useTestEnvironment();
  env = cleanEnvironment();
  const started = performance.now();
  start = spawn("npm", ["start"], { cwd: PROJECT_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  startExit = new Promise((resolve) => start.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      startOutput += chunk.toString();
      if (startOutput.includes("RepoRunner is ready")) resolve();
    };
    start.stdout!.on("data", onData);
    start.stderr!.on("data", onData);
    void startExit.then((code) => reject(new Error(`npm start exited with ${code}:\n${startOutput}`)));
  });
  readySeconds = (performance.now() - started) / 1000;
  console.log(`newcomer: npm start → ready API in ${readySeconds.toFixed(1)}s (toolchain cached)`);
});

afterAll(async () => {
  if (start && start.exitCode === null) {
    // The test failed half-way: leave the machine as it was.
    execFileSync("npm", ["run", "down"], { cwd: PROJECT_DIR, env, stdio: "ignore" });
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe("a new user following the README", () => {
  it("gets a ready API from `npm start`, with each step's progress and where the token is", () => {
    expect(startOutput).toMatch(/\[1\/3\] cluster: /);
    expect(startOutput).toMatch(/\[2\/3\] platform stack "dev"/);
    expect(startOutput).toMatch(/\[3\/3\] Run API and workers/);
    expect(startOutput).toContain(`(token: ${path.join(home, ".reporunner", "token")})`);
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

  it("runs a repository from disk with `npx reporunner run <path>`, printing a preview that answers", async () => {
    const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
    const result = cli(["run", repo.dir]);
    expect(result.code, result.stderr).toBe(0);
    previewUrl = /http:\/\/localhost:30080\/run-([a-z0-9]+)\/app\//.exec(result.stdout)?.[0] ?? "";
    runId = /run-([a-z0-9]+)\//.exec(previewUrl)?.[1] ?? "";
    expect(previewUrl, result.stdout).not.toBe("");
    expect((await bodyOf(previewUrl))?.trim()).toBe("hello from reporunner");
    const listed = JSON.parse(cli(["ls", "--json"]).stdout) as
      { id: string; status: string }[] | { items: { id: string; status: string }[] };
    const items = Array.isArray(listed) ? listed : listed.items;
    expect(items.find((r) => r.id === runId)?.status).toBe("READY");
  });

  it("removes the run with `npx reporunner rm <id>`", async () => {
    const result = cli(["rm", runId]);
    expect(result.code, result.stderr).toBe(0);
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${runId}`);
    expect(await bodyOf(previewUrl)).toBeUndefined();
  });

  it("leaves nothing running or stored after `npm run down`", async () => {
    execFileSync("npm", ["run", "down"], { cwd: PROJECT_DIR, env, stdio: "pipe" });
    expect(await startExit).toBe(0);
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
