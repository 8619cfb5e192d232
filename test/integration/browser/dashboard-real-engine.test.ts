import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { hashToken } from "../../../automation/api/auth";
import { signInUrl } from "../../../automation/api/routes-session";
import { loadConfig } from "../../../automation/config";
import type { PulumiRunEngine } from "../../../automation/engine/pulumi-run-engine";
import { type RunningServer, start } from "../../../automation/server";
import { buildDashboard } from "../../../dashboard/build";
import { startFerretdb, startRedis, type TestService } from "../../support/services";
import { serveGitOverHttp } from "../support/git-http-server";
import {
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  testEnvironmentEngine,
  useTestEnvironment,
} from "../support/testenv";
import { launchChromium, screenshot } from "./support/chromium";

/**
 * What a person does in the dashboard, with nothing faked: sign in from the link, start a run of a
 * repository (served over Git's HTTP protocol on loopback), watch it reach READY on the real Pulumi
 * engine and the built-in cluster, open its preview and read the app's page, stop it and see
 * DESTROYED, with nothing left in the cluster or the stack list.
 */
const TOKEN = "dashboard-e2e-token-0123456789abcdef";
let server: RunningServer;
let redis: TestService;
let mongo: TestService;
let git: Awaited<ReturnType<typeof serveGitOverHttp>>;
let engine: PulumiRunEngine;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let helloRepo: string;

beforeAll(async () => {
  const env = useTestEnvironment();
  await buildDashboard();
  [redis, mongo] = await Promise.all([startRedis(), startFerretdb()]);
  const reposRoot = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-git-"));
  git = await serveGitOverHttp(reposRoot);
  const repo = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  helloRepo = path.join(reposRoot, "hello.git");
  fs.renameSync(repo.dir, helloRepo);
  engine = testEnvironmentEngine(env);
  server = await start({
    engine,
    // The preview is opened at its NodePort; local forwards would take ports other tests may use.
    localPreviews: false,
    config: loadConfig({
      REPORUNNER_HOST: "127.0.0.1",
      REPORUNNER_PORT: "0",
      REPORUNNER_MONGODB_URL: mongo.url,
      REPORUNNER_REDIS_URL: redis.url,
      REPORUNNER_TOKENS: `e2e=sha256:${hashToken(TOKEN)}`,
      REPORUNNER_WORKERS: "1",
      REPORUNNER_SWEEP_INTERVAL_MS: "0",
      REPORUNNER_ALLOW_HTTP: "true",
      REPORUNNER_ALLOW_PRIVATE_TARGETS: "true",
      REPORUNNER_KUBECONFIG: env.KUBECONFIG,
      REPORUNNER_LOG_LEVEL: "warn",
    }),
  });
  browser = await launchChromium();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await git?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

describe("the dashboard on the real engine", () => {
  let id: string;

  it("signs in, starts a run and follows it to READY, then opens its preview", async () => {
    await page.goto(signInUrl(server.url, await server.sessions.issueCode("e2e")));
    await page.getByText("e2e", { exact: true }).waitFor();

    await page.getByLabel("Repository URL or local path").fill(git.url(helloRepo));
    await page.getByLabel("Ref").fill("main");
    await page.getByLabel("Dockerfile").check();
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\/[a-z0-9]+$/);
    id = /#\/runs\/([a-z0-9]+)$/.exec(page.url())![1]!;

    const status = page.getByTestId("run-status");
    await page
      .locator('[data-testid="run-status"]:has-text("READY"), [data-testid="run-status"]:has-text("FAILED")')
      .waitFor({ timeout: 600_000 });
    const failure = (await page.locator(".failure").count())
      ? await page.locator(".failure").textContent()
      : "";
    expect(await status.textContent(), failure ?? "").toContain("READY");
    for (const state of ["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY"]) {
      expect(await page.locator(`.timeline li[data-state="${state}"]`).count()).toBe(1);
    }
    // The engine's output arrived on the event stream.
    expect((await page.getByTestId("run-logs").textContent())?.length).toBeGreaterThan(20);
    await screenshot(page, "dashboard-run-ready");

    const [preview] = await Promise.all([
      browser.context.waitForEvent("page"),
      page.locator(".preview-link").first().click(),
    ]);
    await preview.waitForLoadState();
    await expect
      .poll(
        async () => {
          await preview.reload().catch(() => undefined);
          return (
            await preview
              .locator("body")
              .textContent()
              .catch(() => "")
          )?.trim();
        },
        { timeout: 60_000, interval: 2_000 },
      )
      .toBe("hello from reporunner");
    // The preview is opened on the other loopback name: the dashboard's cookie is never sent to it.
    expect(new URL(preview.url()).hostname).toBe("localhost");
    await preview.close();
  });

  it("stops the run and shows DESTROYED, leaving nothing in the cluster or the stack list", async () => {
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator('[data-testid="run-status"]:has-text("DESTROYED")').waitFor({ timeout: 300_000 });
    await page.locator('.timeline li[data-state="DESTROYING"]').waitFor();
    await screenshot(page, "dashboard-run-destroyed");
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/run-${id}`);
    expect(await engine.listRunStacks()).not.toContain(id);
  });
});
