import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../../../automation/api/auth";
import { loadConfig } from "../../../automation/config";
import { type RunningServer, start } from "../../../automation/server";
import { startFerretdb, startRedis, type TestService } from "../../support/services";
import { serveGitOverHttp } from "../support/git-http-server";
import {
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  PROJECT_DIR,
  testEnvironmentEngine,
  useTestEnvironment,
} from "../support/testenv";

/**
 * Secrets stay secret end to end, on the real engine and cluster, through the whole Run API (real
 * Redis, real FerretDB). A run is created with planted env values and a build argument from them
 * (`test/fixtures/repos/secret-env`), and the values are looked for where they could leak: the
 * stack's exported state and its config file, the raw MongoDB documents, the API's answers, and the
 * worker's and engine's log lines. The pod still gets every value. The same build prints its
 * environment (`RUN env`) and asks for build arguments named like the API's own variables: it must
 * find none of the values this process holds, which a real worker holds too.
 */
const TOKEN = "secrets-token-0123456789abcdef";
const suffix = randomBytes(4).toString("hex");
const PLANTED = {
  API_KEY: `planted-api-key-${suffix}`,
  DB_PASSWORD: `planted-db-password-${suffix}`,
  BUILD_TOKEN: `planted-build-token-${suffix}`,
};

let server: RunningServer;
let redis: TestService;
let mongo: TestService;
let git: Awaited<ReturnType<typeof serveGitOverHttp>>;
let base: string;
let repoUrl: string;
let runId: string;
let run: Record<string, any>;
let logText = "";
const savedEnv = { ...process.env };
/** The Run API's own secrets, as a worker process holds them in its environment. */
let apiSecrets: Record<string, string>;

const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, text: await response.text() };
};
const getRun = async (id: string) =>
  JSON.parse((await call("GET", `/runs/${id}`)).text) as Record<string, any>;

/** Every planted run value found in `text`, as it is or base64-encoded (how a Secret's `data` holds it). */
const plantedIn = (text: string) =>
  Object.values(PLANTED).filter(
    (value) => text.includes(value) || text.includes(Buffer.from(value).toString("base64")),
  );

/** The engine's output lines (`engine output` at debug level), one per entry. */
const engineLines = () =>
  logText
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; line?: string })
    .filter((entry) => entry.msg === "engine output")
    .map((entry) => entry.line ?? "");

beforeAll(async () => {
  const env = useTestEnvironment();
  [redis, mongo] = await Promise.all([startRedis(), startFerretdb()]);
  apiSecrets = {
    // What the API reads, and the names a repository might guess, with values a build must not see.
    REPORUNNER_MONGODB_URL: `mongodb://reporunner:api-db-pass-${suffix}@127.0.0.1:1/reporunner`,
    REPORUNNER_REDIS_URL: `redis://:api-redis-pass-${suffix}@127.0.0.1:1`,
    MONGODB_URL: `mongodb://reporunner:api-db-pass-${suffix}@127.0.0.1:1/reporunner`,
    REDIS_URL: `redis://:api-redis-pass-${suffix}@127.0.0.1:1`,
    AWS_SECRET_ACCESS_KEY: `api-aws-secret-${suffix}`,
    REPORUNNER_TOKENS_SECRET: `api-token-${suffix}`,
    ...(env.PULUMI_CONFIG_PASSPHRASE ? { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE } : {}),
    ...(env.REGISTRY_PASSWORD ? { REGISTRY_PASSWORD: env.REGISTRY_PASSWORD } : {}),
  };
  Object.assign(process.env, apiSecrets);

  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-git-"));
  git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "secret-env"));
  const served = path.join(reposRoot, "secret-env.git");
  fs.renameSync(repo.dir, served);
  repoUrl = git.url(served);

  const sink = new Writable({
    write(chunk, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  server = await start({
    engine: testEnvironmentEngine(env),
    logDestination: sink,
    localPreviews: false,
    config: loadConfig({
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `secrets=sha256:${hashToken(TOKEN)}`,
      REPORUNNER_WORKERS: "1",
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      REPORUNNER_ALLOW_HTTP: "true",
      REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_ENV_KEY: randomBytes(32).toString("base64"),
      // Every engine output line reaches the log: the test reads what a log collector would.
      REPORUNNER_LOG_LEVEL: "debug",
    }),
  });
  base = server.url;

  const created = await call(
    "POST",
    "/runs",
    { repoUrl, ref: "main", mode: "compose", env: PLANTED },
    { "idempotency-key": `secrets-${suffix}` },
  );
  expect(created.status, created.text).toBe(202);
  runId = JSON.parse(created.text).id;
  run = await eventually(
    "the run to settle",
    async () => {
      const current = await getRun(runId);
      return ["READY", "FAILED"].includes(current.status) ? current : undefined;
    },
    600_000,
  );
  expect(run.status, `run ended ${run.status}: ${run.reason ?? ""}`).toBe("READY");
});

afterAll(async () => {
  if (runId) {
    await call("DELETE", `/runs/${runId}`);
    await eventually(
      "the run to be destroyed",
      async () => ((await getRun(runId)).status === "DESTROYED" ? true : undefined),
      300_000,
    ).catch(() => undefined);
  }
  await server?.stop();
  await git?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});

describe("a run's secret values", () => {
  it("reach the pod through the run's Secret: env, a composed value, the command and the build", () => {
    const exec = (...command: string[]) =>
      kubectl(["exec", "-n", `run-${runId}`, "deploy/app", "--", ...command]).trim();
    const variable = (name: string) => exec("sh", "-c", `printf '%s' "$${name}"`);
    expect(variable("API_KEY")).toBe(PLANTED.API_KEY);
    expect(variable("DATABASE_URL")).toBe(`postgres://app:${PLANTED.DB_PASSWORD}@db:5432/app`);
    expect(exec("cat", "/tmp/api-key")).toBe(PLANTED.API_KEY);
    expect(exec("cat", "/www/build-token.sha256")).toBe(
      createHash("sha256").update(PLANTED.BUILD_TOKEN).digest("hex"),
    );
  });

  it("are in no Deployment of the run as literal values", () => {
    const deployments = kubectl(["get", "deployments", "-n", `run-${runId}`, "-o", "json"]);
    expect(plantedIn(deployments)).toEqual([]);
    expect(deployments).toContain('"secretKeyRef"');
  });

  it("are in the stack's exported state and its config file only encrypted", async () => {
    // The state as the backend keeps it: `pulumi stack export` without --show-secrets.
    const exported = execFileSync(
      "pulumi",
      ["stack", "export", "--stack", `run-${runId}`, "--non-interactive"],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      },
    );
    expect(exported).toContain("ciphertext");
    expect(plantedIn(exported)).toEqual([]);
    const backend = process.env.PULUMI_BACKEND_URL ?? "";
    if (backend.startsWith("file://")) {
      const file = path.join(
        backend.slice("file://".length),
        ".pulumi",
        "stacks",
        "reporunner",
        `run-${runId}.json`,
      );
      expect(plantedIn(fs.readFileSync(file, "utf8"))).toEqual([]);
    }
    const configFile = path.join(PROJECT_DIR, `Pulumi.run-${runId}.yaml`);
    if (fs.existsSync(configFile)) expect(plantedIn(fs.readFileSync(configFile, "utf8"))).toEqual([]);
    // The Automation API's export decrypts (--show-secrets): the values are there, as secrets.
    const stack = await Stack.select(`run-${runId}`, await LocalWorkspace.create({ workDir: PROJECT_DIR }));
    expect(plantedIn(JSON.stringify(await stack.exportStack())).sort()).toEqual(
      Object.values(PLANTED).sort(),
    );
  });

  it("are in MongoDB only sealed: the raw documents hold the names and nothing readable", async () => {
    const client = await MongoClient.connect(mongo.url);
    try {
      const document = await client
        .db()
        .collection("runs")
        .findOne({ _id: runId as never });
      expect(Object.keys(document!.env).sort()).toEqual(Object.keys(PLANTED).sort());
      for (const sealed of Object.values(document!.env)) expect(sealed).toMatch(/^v1:/);
      expect(plantedIn(JSON.stringify(document))).toEqual([]);
      const idempotency = await client.db().collection("idempotency").find().toArray();
      expect(plantedIn(JSON.stringify(idempotency))).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("are never echoed by the API, which shows the names", async () => {
    const one = await call("GET", `/runs/${runId}`);
    const list = await call("GET", "/runs");
    expect(JSON.parse(one.text).envKeys).toEqual(Object.keys(PLANTED).sort());
    expect(plantedIn(one.text + list.text)).toEqual([]);
  });

  it("are in no log line of the worker or the engine, though the build printed its argument", () => {
    expect(plantedIn(logText)).toEqual([]);
    // The build's `RUN env` shows the argument arrived, with its value hidden.
    expect(engineLines().some((line) => /BUILD_TOKEN=\[secret\]/.test(line))).toBe(true);
  });
});

describe("the build's environment", () => {
  it("printed itself, and holds none of the Run API's values", () => {
    const lines = engineLines();
    expect(lines.some((line) => /PATH=\/usr\/local\/sbin/.test(line))).toBe(true);
    for (const [name, value] of Object.entries(apiSecrets)) {
      expect(
        lines.filter((line) => line.includes(value)),
        name,
      ).toEqual([]);
    }
  });

  it("gave the build arguments named like the API's variables no value", () => {
    for (const name of ["MONGODB_URL", "REDIS_URL", "REPORUNNER_MONGODB_URL", "AWS_SECRET_ACCESS_KEY"]) {
      expect(engineLines().filter((line) => new RegExp(`\\b${name}=`).test(line))).toEqual([]);
    }
  });
});
