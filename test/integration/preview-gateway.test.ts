import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../automation/engine/run-engine";
import { startHarness, TOKENS } from "../support/api-harness";
import { reporunner } from "../support/cli-io";
import { readyRun } from "./support/ready-run";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  PROJECT_DIR,
  testEnvironmentEngine,
  useTestEnvironment,
  gatewayOnlyPlatformConfig,
} from "./support/testenv";

/**
 * The preview gateway for real: the platform stack with only the gateway (nginx; here Debian's nginx
 * in a stand-in image) on a NodePort, then a run deployed with the platform's preview base. The run's
 * URL is `<base>/run-<id>/<service>/`, and READY means it answered through the gateway. A compose
 * project behind it then shows, through the Run API and the CLI, its page on the host port compose
 * publishes and its TCP service by a tcp:// local URL, never by a gateway path.
 */
const suffix = Date.now().toString(36);
const namespace = `infra-gw-${suffix}`;
// Not 30080: the newcomer test brings a platform with its own gateway up on the default port.
const previewPort = 30090;
const base = `http://127.0.0.1:${previewPort}`;
const runId = `gw${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };
let stack: Stack;
let engine: PulumiRunEngine;
let result: DeployResult;

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  stack = await LocalWorkspace.createOrSelectStack({ stackName: `gateway-${suffix}`, workDir: PROJECT_DIR });
  await stack.setAllConfig(
    gatewayOnlyPlatformConfig(env, { infraNamespace: namespace, previewBaseUrl: base, previewPort }),
  );
  const up = await stack.up();
  engine = testEnvironmentEngine(env, {
    target: { previewBaseUrl: String(up.outputs.previewBaseUrl?.value) },
  });
  const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
});

afterAll(async () => {
  await engine?.destroy(runId, quiet).catch(() => undefined);
  if (!stack) return;
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

describe("the preview gateway", () => {
  it("gives a run its URL under the preview base, and READY means it answered there", async () => {
    expect(result.previewUrls).toEqual({ app: `${base}/run-${runId}/app/` });
    expect((await bodyOf(result.previewUrls.app!))?.trim()).toBe("hello from reporunner");
    // The local form's target: the preview Service and the app's own port.
    expect(result.previewTargets).toEqual({
      app: { service: "app-preview", port: 8080, localPort: 8080, protocol: "http" },
    });
  });

  it("passes the path below the prefix on to the app", async () => {
    expect((await bodyOf(`${base}/run-${runId}/app/index.html`))?.trim()).toBe("hello from reporunner");
  });

  it("adds the trailing slash, so relative links stay under the prefix", async () => {
    const response = await fetch(`${base}/run-${runId}/app?x=1`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe(`/run-${runId}/app/?x=1`);
  });

  it("answers 404 in words for a service or run that does not exist", async () => {
    const missing = await fetch(`${base}/run-${runId}/nosuchservice/`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(`no preview nosuchservice in run-${runId}`);
    const elsewhere = await fetch(`${base}/somewhere`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).toContain("/run-<id>/<service>/");
  });

  it("runs as a non-root user behind a NodePort on the configured port", () => {
    const service = JSON.parse(kubectl(["get", "service", "-n", namespace, "preview-gateway", "-o", "json"]));
    expect(service.spec.ports[0].nodePort).toBe(previewPort);
    const pod = JSON.parse(
      kubectl(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=preview-gateway", "-o", "json"]),
    ).items[0];
    expect(pod.spec.securityContext.runAsUser).toBe(101);
  });

  it("stops routing to a run once it is destroyed", async () => {
    await engine.destroy(runId, quiet);
    const gone = await fetch(`${base}/run-${runId}/app/`);
    expect(gone.status).toBe(404);
  });
});

describe("a compose project behind the gateway: a page published 8088:80 beside a TCP database", () => {
  const composeRunId = `gp${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
  let h: Awaited<ReturnType<typeof startHarness>>;
  let composeResult: DeployResult;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "published-ports"));
    composeResult = await engine.deploy(
      { runId: composeRunId, repoUrl: source.url, mode: "auto", env: {} },
      quiet,
    );
    // The API server forwards local previews with the kubeconfig useTestEnvironment put in $KUBECONFIG.
    h = await startHarness();
    env = { REPORUNNER_URL: h.server.url, REPORUNNER_TOKEN: TOKENS.alice };
    await h.server.runtime.store.insert(readyRun(composeRunId, composeResult));
  });

  afterAll(async () => {
    await h?.close();
    await engine?.destroy(composeRunId, quiet).catch(() => undefined);
  });

  it("gives the page a gateway URL and the TCP database none, since the gateway speaks HTTP", async () => {
    expect(composeResult.previewUrls).toEqual({ web: `${base}/run-${composeRunId}/web/` });
    expect((await bodyOf(composeResult.previewUrls.web!))?.trim()).toBe("published on 8088");
    expect(composeResult.previewTargets).toEqual({
      db: { service: "db-preview", port: 5432, localPort: 5432, protocol: "tcp" },
      web: { service: "web-preview", port: 80, localPort: 8088, protocol: "http" },
    });
  });

  it("answers the page on localhost at the published 8088 and the database at tcp://localhost:5432", async () => {
    const run = await h.waitFor(
      composeRunId,
      (r) => Object.keys(r.localUrls).length === 2,
      TOKENS.alice,
      60_000,
    );
    expect(run.localUrls).toEqual({ web: "http://localhost:8088", db: "tcp://localhost:5432" });
    expect(run.previewUrls).toEqual({ web: `${base}/run-${composeRunId}/web/` });
    expect((await bodyOf("http://localhost:8088/"))?.trim()).toBe("published on 8088");
    expect(await eventually("a connection to the database", () => accepts(5432))).toBe(true);
  });

  it("shows the database by its tcp:// local URL in reporunner follow and ls, never by a gateway path", async () => {
    const followed = await reporunner(["follow", composeRunId], { env });
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain(`  preview web  ${base}/run-${composeRunId}/web/\n`);
    expect(followed.stdout).toMatch(/^ {2}local {3}db {3}tcp:\/\/localhost:5432$/m);
    expect(followed.stdout).toMatch(/^ {2}local {3}web {2}http:\/\/localhost:8088$/m);
    const listed = await reporunner(["ls"], { env });
    expect(listed.stdout).toContain(`${base}/run-${composeRunId}/web/ (+1)`);
    expect(`${followed.stdout}${listed.stdout}`).not.toContain("/db/");
  });
});

/** Whether 127.0.0.1:`port` accepts a connection; undefined (try again) when it does not. */
function accepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(undefined));
  });
}
