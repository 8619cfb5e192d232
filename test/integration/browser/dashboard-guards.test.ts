import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { signInUrl } from "../../../automation/api/routes-session";
import { buildDashboard } from "../../../dashboard/build";
import { startHarness, type Harness } from "../../support/api-harness";
import { launchChromium, screenshot } from "./support/chromium";

/**
 * The dashboard in Chromium against the Run API with real Redis and FerretDB and the fake engine:
 * what these tests check is the browser side (sign-in, the session cookie, field errors, the
 * cross-site guard, the live list), which does not depend on what deploys a run. The whole path on
 * the real engine and cluster is `dashboard-real-engine.test.ts`.
 */
let h: Harness;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const external: string[] = [];

/** Opens a dashboard page afresh (a hash change alone would keep the page's state). */
async function open(p: Page, hash: string): Promise<void> {
  await p.goto("about:blank");
  await p.goto(`${h.server.url}/${hash}`);
}

async function signIn(p: Page): Promise<void> {
  const code = await h.server.sessions.issueCode("alice");
  await p.goto(signInUrl(h.server.url, code));
  await p.getByText("alice", { exact: true }).waitFor();
}

beforeAll(async () => {
  await buildDashboard();
  h = await startHarness();
  browser = await launchChromium();
  page = browser.page;
  browser.context.on("request", (request) => {
    const host = new URL(request.url()).hostname;
    if (!["127.0.0.1", "localhost"].includes(host)) external.push(request.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe("the dashboard's sign-in", () => {
  it("opens a session from the one-time link in an HttpOnly, SameSite=Strict cookie, and the link works once", async () => {
    const code = await h.server.sessions.issueCode("alice");
    await page.goto(signInUrl(h.server.url, code));
    await page.getByText("alice", { exact: true }).waitFor();
    // The code leaves the address bar once used.
    expect(page.url()).not.toContain(code);
    const [cookie] = await browser.context.cookies(h.server.url);
    expect(cookie).toMatchObject({
      name: "reporunner_session",
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
    });

    const second = await browser.context.newPage();
    await second.context().clearCookies();
    await second.goto(signInUrl(h.server.url, code));
    await second.getByRole("alert").waitFor();
    expect(await second.getByRole("alert").textContent()).toContain("used already or has expired");
    await second.close();
    await signIn(page);
  });

  it("keeps the bearer token working beside the session", async () => {
    const res = await h.call("GET", "/session");
    expect(res.body).toEqual({ owner: "alice", via: "token" });
  });
});

describe("the new-run form", () => {
  it("shows the API's field errors beside the field they name", async () => {
    await open(page, "#/");
    const submit = page.getByRole("button", { name: "Start run" });

    await page.getByLabel("Repository URL or local path").fill("ftp://example.test/repo.git");
    await submit.click();
    await expect.poll(() => page.locator("#repoUrl-error").textContent()).toContain("repoUrl");
    expect(await page.getAttribute("#repoUrl", "aria-invalid")).toBe("true");
    // The keyboard is taken to the field at fault (once the form is enabled again).
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.id))
      .toBe("repoUrl");

    await page.getByLabel("Repository URL or local path").fill("https://github.example.test/org/app.git");
    await page.getByLabel("TTL (seconds)").fill("5");
    await submit.click();
    await expect.poll(() => page.locator("#ttl-error").textContent()).toContain("ttl");
    expect(await page.locator("#repoUrl-error").count()).toBe(0);

    await page.getByLabel("TTL (seconds)").fill("");
    await page.getByLabel("Preview port").fill("70000");
    await submit.click();
    await expect.poll(() => page.locator("#previewPort-error").textContent()).toContain("previewPort");

    await page.getByLabel("Preview port").fill("");
    await page.getByLabel("Ref").fill("../main");
    await submit.click();
    await expect.poll(() => page.locator("#ref-error").textContent()).toContain("ref");

    await page.getByLabel("Ref").fill("");
    await page.getByRole("button", { name: "Add variable" }).click();
    await page.getByLabel("Name 1").fill("1BAD");
    await page.getByLabel("Value 1").fill("x");
    await submit.click();
    await expect.poll(() => page.locator("#env-error").textContent()).toContain("env");
    await screenshot(page, "dashboard-field-errors");
    expect((await h.call("GET", "/runs")).body.items).toHaveLength(0);
  });
});

describe("a run in the dashboard", () => {
  let id: string;

  it("starts a run from the form, follows it to READY live, and lists it", async () => {
    await open(page, "#/");
    await page.getByLabel("Repository URL or local path").fill("https://github.example.test/org/app.git");
    await page.getByLabel("Ref").fill("main");
    await page.getByLabel("Compose").check();
    await page.getByLabel("Preview port").fill("3000");
    await page.getByRole("button", { name: "Add variable" }).click();
    await page.getByLabel("Name 1").fill("GREETING");
    await page.getByLabel("Value 1").fill("hello");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\/[a-z0-9]+$/);
    id = /#\/runs\/([a-z0-9]+)$/.exec(page.url())![1]!;
    await page.locator('[data-testid="run-status"]', { hasText: "READY" }).waitFor({ timeout: 30_000 });
    // Live output from the event stream and every state in the timeline.
    await expect.poll(() => page.getByTestId("run-logs").textContent()).toContain(`deploying ${id}`);
    for (const state of ["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY"]) {
      await page.locator(`.timeline li[data-state="${state}"]`).waitFor();
    }
    const run = (await h.call("GET", `/runs/${id}`)).body;
    expect(run).toMatchObject({ status: "READY", mode: "compose", ref: "main", envKeys: ["GREETING"] });
    expect(h.engine.calls).toContainEqual({ op: "deploy", runId: id, previewPort: 3000 });

    await page.getByRole("link", { name: "← Runs" }).click();
    await page.locator(`li[data-run-id="${id}"] [data-status="READY"]`).waitFor();
  });

  it("shows a run started elsewhere (the CLI) in the list and follows it live", async () => {
    // Slow enough that the list (read every 5 s) sees it in flight and follows its event stream.
    h.engine.defaultScript = { phaseMs: 3000 };
    const created = await h.call("POST", "/runs", {
      body: { repoUrl: "https://github.example.test/org/cli.git" },
    });
    expect(created.status).toBe(202);
    const row = page.locator(`li[data-run-id="${created.body.id}"]`);
    await row
      .locator('[data-status="BUILDING"], [data-status="DEPLOYING"]')
      .first()
      .waitFor({ timeout: 15_000 });
    await row.locator('[data-status="READY"]').waitFor({ timeout: 15_000 });
    h.engine.defaultScript = {};
    await screenshot(page, "dashboard-runs");
  });

  it("shows why a run failed, in words", async () => {
    h.engine.defaultScript = {
      failIn: { phase: "BUILDING", reason: "the image build failed: npm ci exited 1" },
    };
    const created = await h.call("POST", "/runs", {
      body: { repoUrl: "https://github.example.test/org/broken.git" },
    });
    await h.waitFor(created.body.id, (r) => r.status === "FAILED");
    h.engine.defaultScript = {};
    await open(page, `#/runs/${created.body.id}`);
    const cause = page.locator(".failure");
    await cause.waitFor({ timeout: 15_000 });
    expect(await cause.textContent()).toContain("the image build failed: npm ci exited 1");
  });

  it("extends the run's TTL from its page, with the API's field error beside the control", async () => {
    await open(page, `#/runs/${id}`);
    const ttl = page.getByLabel("New TTL from now (seconds)");
    const extend = page.getByRole("button", { name: "Extend", exact: true });
    await ttl.fill("30");
    await extend.click();
    await expect.poll(() => page.locator("#extend-ttl-error").textContent()).toContain("ttl");
    expect(await ttl.getAttribute("aria-invalid")).toBe("true");

    await ttl.fill(String(24 * 3600));
    await extend.click();
    await page.getByTestId("extend-done").waitFor();
    expect(await page.locator("#extend-ttl-error").count()).toBe(0);
    // The countdown rounds to the second, against a clock that ticks once a second.
    expect(await page.getByTestId("run-expires").textContent()).toMatch(/^in (23h 59m|24h 0m) /);
    const run = (await h.call("GET", `/runs/${id}`)).body;
    expect(Date.parse(run.expiresAt) - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);
  });

  it("stops the run with the keyboard and shows DESTROYED", async () => {
    await open(page, `#/runs/${id}`);
    const stop = page.getByRole("button", { name: "Stop" });
    await stop.waitFor();
    await stop.focus();
    await page.keyboard.press("Enter");
    await page.locator('[data-testid="run-status"]', { hasText: "DESTROYED" }).waitFor({ timeout: 30_000 });
    await page.locator('.timeline li[data-state="DESTROYING"]').waitFor();
    expect((await h.call("GET", `/runs/${id}`)).body.status).toBe("DESTROYED");
  });

  it("reads right at phone width: nothing scrolls sideways", async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 375, height: 800 });
    await phone.goto(`${h.server.url}/#/`);
    await phone.getByRole("heading", { name: "Runs" }).waitFor();
    await phone.locator("li[data-run-id]").first().waitFor();
    expect(
      await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(375);
    await screenshot(phone, "dashboard-phone");
    await phone.goto(`${h.server.url}/#/runs/${id}`);
    await phone.locator('[data-testid="run-status"]').waitFor();
    expect(
      await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(375);
    await phone.close();
  });

  it("loads nothing from outside this machine", () => {
    expect(external).toEqual([]);
  });
});

describe("cross-site requests with the dashboard's session", () => {
  let target: string;
  let attacker: http.Server;

  /** A page on another origin that tries, with the signed-in browser's cookie, to start and stop runs. */
  const attackPage = (api: string, runId: string) => `<!doctype html><html><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe>
<form id="start" target="f1" method="POST" action="${api}/runs" enctype="text/plain">
  <input name='{"repoUrl":"https://github.example.test/evil/app.git","x":"' value='"}'>
</form>
<form id="cancel" target="f2" method="POST" action="${api}/runs/${runId}/cancel"></form>
<form id="redeploy" target="f3" method="POST" action="${api}/runs/${runId}/redeploy"></form>
<script>
  const results = {};
  const tries = [
    fetch("${api}/runs", { method: "POST", mode: "no-cors", credentials: "include",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ repoUrl: "https://github.example.test/evil/app.git" }) }).then(() => "sent", (e) => String(e)),
    fetch("${api}/runs/${runId}", { method: "DELETE", credentials: "include" }).then((r) => r.status, (e) => String(e)),
    fetch("${api}/runs", { method: "POST", credentials: "include", headers: { "content-type": "application/json" },
      body: JSON.stringify({ repoUrl: "https://github.example.test/evil/app.git" }) }).then((r) => r.status, (e) => String(e)),
    fetch("${api}/runs", { credentials: "include" }).then((r) => r.text(), (e) => String(e)),
  ];
  const loaded = [...document.querySelectorAll("iframe")].map((f) => new Promise((r) => f.addEventListener("load", r)));
  for (const id of ["start", "cancel", "redeploy"]) document.getElementById(id).submit();
  Promise.all([...tries, ...loaded]).then((r) => { window.attempts = r.slice(0, 4); window.done = true; });
</script></body></html>`;

  beforeAll(async () => {
    h.engine.defaultScript = {};
    const created = await h.call("POST", "/runs", {
      body: { repoUrl: "https://github.example.test/org/target.git" },
    });
    target = created.body.id;
    await h.waitFor(target, (r) => r.status === "READY");
    attacker = http.createServer((req, res) => {
      const api = req.url?.startsWith("/cross-site")
        ? h.server.url.replace("127.0.0.1", "localhost")
        : h.server.url;
      res.setHeader("content-type", "text/html");
      res.end(attackPage(api, target));
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
  });

  afterAll(() => new Promise<void>((r) => attacker?.close(() => r())));

  const runIds = async () =>
    ((await h.call("GET", "/runs?limit=100")).body.items as { id: string }[]).map((r) => r.id);

  for (const [name, where] of [
    ["a page of the same site (another port of 127.0.0.1, like a run's preview)", "/same-site"],
    ["a page of another site (localhost)", "/cross-site"],
  ] as const) {
    it(`refuses ${name} that tries to start or stop a run with the session`, async () => {
      await signIn(page);
      const before = await runIds();
      const port = (attacker.address() as AddressInfo).port;
      const host = where === "/cross-site" ? "localhost" : "127.0.0.1";
      const evil = await browser.context.newPage();
      await evil.goto(`http://${host}:${port}${where}`);
      await evil.waitForFunction(() => (globalThis as any).done === true, undefined, { timeout: 15_000 });
      const attempts = (await evil.evaluate(() => (globalThis as any).attempts)) as unknown[];
      await evil.close();
      // The preflighted calls never leave the browser; the list read is opaque to the page.
      expect(attempts[1]).toMatch(/TypeError/);
      expect(attempts[2]).toMatch(/TypeError/);
      expect(attempts[3]).toMatch(/TypeError/);
      await new Promise((r) => setTimeout(r, 500));
      expect(await runIds()).toEqual(before);
      expect((await h.call("GET", `/runs/${target}`)).body.status).toBe("READY");
      if (where === "/same-site") {
        // The cookie went along (same site): the API's origin check is what refused the writes.
        expect(h.logText()).toMatch(new RegExp(`"url":"/runs/${target}/redeploy"[^\\n]*"statusCode":403`));
      }
    });
  }

  it("still lets the dashboard itself stop the run", async () => {
    await open(page, `#/runs/${target}`);
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator('[data-testid="run-status"]', { hasText: "DESTROYED" }).waitFor({ timeout: 30_000 });
  });
});
