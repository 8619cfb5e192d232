import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerdName } from "../../components/cluster/image-loader";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../automation/engine/run-engine";
import {
  bodyOf,
  gitRepositoryFrom,
  objectsLabelled,
  testEnvironmentEngine,
  useTestEnvironment,
} from "./support/testenv";

/**
 * `image:` services run what the local Docker engine holds, offline, as built images do: the image
 * exists only there (a fresh tag of busybox, under a name no registry has, tagged `latest` so a
 * default pull policy would pull it every time), and the run is READY with its page served.
 */
let env: Record<string, string>;
let engine: PulumiRunEngine;
const suffix = Math.random().toString(36).slice(2, 10);
const image = `reporunner-test/local-first-${suffix}:latest`;
const runId = `li${suffix}`.slice(0, 10);
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };
const output: string[] = [];

const docker = (...args: string[]) =>
  execFileSync("docker", args, { encoding: "utf8", env: { ...process.env, DOCKER_HOST: env.DOCKER_HOST } });
const ctr = (...args: string[]) =>
  execFileSync("ctr", ["--address", env.CONTAINERD_ADDRESS, "-n", "k8s.io", "images", ...args], {
    encoding: "utf8",
  });

beforeAll(() => {
  env = useTestEnvironment();
  engine = testEnvironmentEngine(env);
  docker("tag", "busybox:latest", image);
});

afterAll(async () => {
  await engine.destroy(runId, quiet).catch(() => undefined);
  docker("rmi", image);
  ctr("rm", containerdName(image));
});

describe("an image: service whose image only the local Docker engine has", () => {
  let result: DeployResult;

  beforeAll(async () => {
    expect(ctr("ls", "-q").split("\n")).not.toContain(containerdName(image));
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-local-image-"));
    fs.writeFileSync(
      path.join(repo, "compose.yaml"),
      [
        "services:",
        "  web:",
        `    image: ${image}`,
        "    command: [sh, -c, 'mkdir -p /tmp/w && echo served from a local image > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w']",
        '    ports: ["8080:8080"]',
        "    depends_on: [store]",
        "  store:",
        `    image: ${image}`,
        "    command: [sh, -c, 'mkdir -p /tmp/s && exec httpd -f -p 9000 -h /tmp/s']",
        "",
      ].join("\n"),
    );
    const source = gitRepositoryFrom(repo);
    result = await engine.deploy(
      { runId, repoUrl: source.url, mode: "auto", env: {} },
      { ...quiet, output: (line) => output.push(line) },
    );
  });

  it("is loaded into the cluster from the local engine, and the run is READY with its page served", async () => {
    expect(output.join("\n")).toContain(`image ${image}: loaded from the local Docker engine`);
    expect(ctr("ls", "-q").split("\n")).toContain(containerdName(image));
    expect((await bodyOf(result.previewUrls.web))?.trim()).toBe("served from a local image");
  });

  it("leaves nothing behind after destroy", async () => {
    await engine.destroy(runId, quiet);
    expect(objectsLabelled(`reporunner.dev/run-id=${runId}`)).toEqual([]);
  });
});
