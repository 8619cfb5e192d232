import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnvironment } from "../../../automation/engine/engine-config";
import { pulumiCommandWithOwnEnvironment, unsetArguments } from "../../../automation/engine/pulumi-command";
import { environmentScrubLines } from "../../../components/run/build-environment";
import { buildAndLoadScript, buildScriptEnvironment } from "../../../components/run/image-commands";

/**
 * What the commands run on a repository's behalf can see of the machine: the Pulumi CLI gets an
 * allow-list of the engine's environment, and every build script drops whatever else it inherited.
 */

/** The Run API's own variables, as a worker process has them. */
const API_ENV = {
  MONGODB_URL: "mongodb://reporunner:db-pass-3c1f@127.0.0.1:27017/reporunner",
  REDIS_URL: "redis://:redis-pass-8e2b@127.0.0.1:6379",
  REPORUNNER_MONGODB_URL: "mongodb://reporunner:db-pass-3c1f@127.0.0.1:27017/reporunner",
  REPORUNNER_TOKENS: "alice=sha256:0000",
  AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "aws-secret-5d7e",
  PULUMI_CONFIG_PASSPHRASE: "passphrase-9a4c",
  REGISTRY_PASSWORD: "registry-pass-2b6f",
};
const API_VALUES = Object.values(API_ENV);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-env-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes an executable shell script into `dir` and returns its path. */
function executable(dir: string, name: string, body: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** Runs `script` with `sh -c` in exactly `env`, and returns its output. */
const sh = (script: string, env: Record<string, string>) =>
  execFileSync("/bin/sh", ["-c", script], { env, encoding: "utf8" });

const names = (envOutput: string) =>
  envOutput
    .split("\n")
    .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();

describe("the build scripts' environment", () => {
  it("keeps the allow-list and the script's own variables, and drops everything else it inherits", () => {
    const out = sh([...environmentScrubLines(["RR_BUILD_ARG_*"]), "env"].join("\n"), {
      PATH: process.env.PATH!,
      HOME: "/home/worker",
      DOCKER_HOST: "unix:///run/docker.sock",
      RR_BUILD_ARG_TOKEN: "t0ken",
      ...API_ENV,
    });
    expect(names(out).filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n))).toEqual([
      "DOCKER_HOST",
      "HOME",
      "PATH",
      "RR_BUILD_ARG_TOKEN",
    ]);
    for (const value of API_VALUES) expect(out).not.toContain(value);
  });

  it("gives docker build the build arguments by name, and none of the API's variables", () => {
    // A docker that records its argv and environment: what the real CLI would see.
    const bin = path.join(tmp, "docker-bin");
    const log = path.join(tmp, "docker.log");
    executable(
      bin,
      "docker",
      `case "$1" in image) exit 1 ;; build) { echo "ARGV $*"; env; } > ${log} ;; esac`,
    );
    const plan = {
      service: "web",
      contextDir: tmp,
      dockerfilePath: path.join(tmp, "Dockerfile"),
      args: { BUILD_TOKEN: "build-token-6f1d", DOCKER_HOST: "tcp://elsewhere:2375" },
      imageRef: "reporunner/web:0123",
    };
    sh(buildAndLoadScript(plan, { method: "none" }), {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: tmp,
      ...API_ENV,
      ...buildScriptEnvironment(plan),
    });
    const seen = fs.readFileSync(log, "utf8");
    const argv = seen.split("\n")[0]!;
    expect(argv).toContain("--build-arg BUILD_TOKEN ");
    expect(argv).not.toContain("build-token-6f1d");
    // A name the CLI reads itself travels as an argument and leaves the CLI's own DOCKER_HOST alone.
    expect(argv).toContain("--build-arg DOCKER_HOST=tcp://elsewhere:2375");
    expect(seen).toContain("\nBUILD_TOKEN=build-token-6f1d\n");
    expect(seen).not.toMatch(/^DOCKER_HOST=/m);
    for (const value of API_VALUES) expect(seen).not.toContain(value);
  });
});

describe("the Pulumi CLI's environment", () => {
  it("is the allow-list and the CLI's own PULUMI_* variables, without the Run API's", () => {
    const env = cliEnvironment(
      {
        PATH: "/bin",
        HOME: "/home/w",
        DOCKER_HOST: "unix:///d.sock",
        PULUMI_BACKEND_URL: "file:///s",
        ...API_ENV,
      },
      { backendUrl: "file:///s" },
    );
    expect(Object.keys(env).sort()).toEqual([
      "DOCKER_HOST",
      "HOME",
      "PATH",
      "PULUMI_BACKEND_URL",
      "PULUMI_CONFIG_PASSPHRASE",
    ]);
  });

  it("keeps AWS credentials only for a backend or secrets provider on AWS", () => {
    const env = { PATH: "/bin", ...API_ENV };
    expect(cliEnvironment(env, { backendUrl: "s3://state" })).toHaveProperty("AWS_SECRET_ACCESS_KEY");
    expect(cliEnvironment(env, { secretsProvider: "awskms://alias/x?region=eu-west-1" })).toHaveProperty(
      "AWS_ACCESS_KEY_ID",
    );
    expect(cliEnvironment(env, { backendUrl: "file:///s" })).not.toHaveProperty("AWS_SECRET_ACCESS_KEY");
  });

  it("unsets by name every inherited variable the workspace does not set", () => {
    expect(
      unsetArguments(
        { PATH: "/bin", MONGODB_URL: "x", PULUMI_AUTOMATION_API: "true", B: undefined },
        { PATH: "/bin" },
      ),
    ).toEqual(["-u", "B", "-u", "MONGODB_URL"]);
  });

  it("starts the CLI with exactly the workspace's variables, whatever this process holds", async () => {
    const bin = path.join(tmp, "pulumi-bin");
    executable(bin, "pulumi", `if [ "$1" = version ]; then echo v3.259.0; else env; fi`);
    const saved = { ...process.env };
    Object.assign(process.env, API_ENV, { PATH: `${bin}:${process.env.PATH}` });
    try {
      const cli = await pulumiCommandWithOwnEnvironment();
      const run = (cli as unknown as { run: (...a: unknown[]) => Promise<{ stdout: string }> }).run;
      const { stdout } = await run(["whoami"], tmp, { PATH: process.env.PATH!, HOME: tmp, PULUMI_HOME: tmp });
      expect(names(stdout).filter((n) => !["PWD", "SHLVL", "_"].includes(n))).toEqual([
        "HOME",
        "PATH",
        "PULUMI_AUTOMATION_API",
        "PULUMI_HOME",
      ]);
      for (const value of API_VALUES) expect(stdout).not.toContain(value);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
