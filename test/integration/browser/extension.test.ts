import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { EXTENSION_ID } from "../../../automation/api/cors";
import { buildExtension } from "../../../extension/build";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";
import { FakeEngine } from "../../support/fake-engine";
import { PROJECT_DIR } from "../support/testenv";
import { CHROMIUM, screenshot } from "./support/chromium";

/**
 * The "Run Locally" extension, unpacked in Debian's Chromium (the new headless mode loads
 * extensions), on a local HTTPS page shaped like a GitHub repository page that Chromium reaches as
 * https://github.com through `--host-resolver-rules`, so the content script's real match pattern is
 * what runs. The API has real Redis and FerretDB and the fake engine: what is under test is the
 * extension (detection, the panel, the service worker's calls, CORS, the token kept out of the page),
 * none of which depends on what deploys a run; the real engine's path through the browser is
 * `dashboard-real-engine.test.ts`.
 */
let h: Harness;
let context: BrowserContext;
let github: https.Server;
let work: string;
let previews: http.Server;
const extensionOrigin = `chrome-extension://${EXTENSION_ID}`;

/** A repository page in GitHub's markup: the file list is a table of `/<owner>/<repo>/blob/<ref>/<file>` links. */
function repoPage(owner: string, repo: string, files: string[]): string {
  const rows = files
    .map(
      (f) => `<tr class="react-directory-row"><td class="react-directory-row-name-cell-large-screen">
  <div class="react-directory-filename-column"><h3><div class="react-directory-truncate">
  <a title="${f}" aria-label="${f}, (File)" class="Link--primary" href="/${owner}/${repo}/blob/main/${f}">${f}</a>
  </div></h3></div></td><td>Initial commit</td></tr>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${owner}/${repo}</title></head>
<body><header style="height:64px;background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:0 24px">
<strong style="line-height:64px">${owner} / ${repo}</strong></header>
<main style="padding:24px"><table aria-labelledby="folders-and-files"><tbody>
<tr class="react-directory-row"><td><a class="Link--primary" href="/${owner}/${repo}/tree/main/src">src</a></td></tr>
${rows}
</tbody></table>
<article><a href="/${owner}/${repo}/blob/main/docs/Dockerfile">docs/Dockerfile</a> is not at the root.</article>
</main></body></html>`;
}

const PAGES: Record<string, string> = {
  "/octo/app": repoPage("octo", "app", ["Dockerfile", "README.md", "compose.yaml", "package.json"]),
  "/octo/web": repoPage("octo", "web", ["Dockerfile", "index.html"]),
  "/octo/docs": repoPage("octo", "docs", ["README.md", "mkdocs.yml"]),
};

/** A self-signed certificate for github.com, made with openssl. */
function selfSigned(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=github.com",
      "-addext",
      "subjectAltName=DNS:github.com",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  return {
    key: fs.readFileSync(path.join(dir, "key.pem")),
    cert: fs.readFileSync(path.join(dir, "cert.pem")),
  };
}

/** The fake engine, with its preview served by this test (the cluster's gateway port may be taken). */
class PreviewEngine extends FakeEngine {
  previewBase = "";
  override async deploy(...args: Parameters<FakeEngine["deploy"]>) {
    const result = await super.deploy(...args);
    return { ...result, previewUrls: { app: `${this.previewBase}/run-${args[0].runId}/` } };
  }
}

const panel = (page: Page) => page.locator("#reporunner-run-locally");
const status = (page: Page) => panel(page).getByTestId("rr-status");

beforeAll(async () => {
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "install-chromium.sh")], { stdio: "inherit" });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-extension-"));
  const unpacked = path.join(work, "extension");
  await buildExtension(unpacked);
  previews = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<h1>preview of the app at ${req.url}</h1>`);
  });
  await new Promise<void>((r) => previews.listen(0, "127.0.0.1", r));
  const engine = new PreviewEngine(40);
  engine.previewBase = `http://127.0.0.1:${(previews.address() as AddressInfo).port}`;
  h = await startHarness({}, { engine });
  github = https.createServer(selfSigned(work), (req, res) => {
    const body = PAGES[(req.url ?? "/").split("?")[0]!];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body ?? "not found");
  });
  await new Promise<void>((r) => github.listen(0, "127.0.0.1", r));
  const port = (github.address() as AddressInfo).port;
  context = await chromium.launchPersistentContext(path.join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    // Playwright turns extensions off by default.
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      `--disable-extensions-except=${unpacked}`,
      `--load-extension=${unpacked}`,
      `--host-resolver-rules=MAP github.com 127.0.0.1:${port}`,
      "--ignore-certificate-errors",
    ],
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
});

afterAll(async () => {
  await context?.close();
  for (const server of [github, previews])
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await h?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the Run Locally extension", () => {
  let page: Page;
  let id: string;

  it("loads unpacked with its stable id, from the manifest's key", async () => {
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker"));
    expect(worker.url()).toBe(`${extensionOrigin}/background.js`);
  });

  it("saves the API's address and token only once /readyz and the token check pass", async () => {
    const options = await context.newPage();
    await options.goto(`${extensionOrigin}/options.html`);
    await options.getByLabel("API address").fill(h.server.url);
    await options.getByLabel("Token").fill("not-a-token-of-anyone");
    await options.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => options.locator("#result").textContent()).toContain("valid bearer token");
    expect(await options.getAttribute("#token", "aria-invalid")).toBe("true");

    await options.getByLabel("API address").fill("http://127.0.0.1:9");
    await options.getByLabel("Token").fill(TOKENS.alice);
    await options.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => options.locator("#result").textContent()).toContain("/readyz");

    await options.getByLabel("API address").fill(h.server.url);
    await options.getByLabel("Token").fill(TOKENS.alice);
    await options.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => options.locator("#result").textContent()).toContain("token is alice's");
    await options.close();
  });

  it("shows no button on a repository without a Dockerfile or compose file at its root", async () => {
    page = await context.newPage();
    await page.goto("https://github.com/octo/docs");
    await page.getByText("mkdocs.yml").waitFor();
    await page.waitForTimeout(1000);
    expect(await panel(page).count()).toBe(0);
  });

  it("offers no compose/Dockerfile choice when only a Dockerfile is there", async () => {
    await page.goto("https://github.com/octo/web");
    await panel(page).getByRole("button", { name: "Run Locally" }).click();
    await panel(page).getByText("Found Dockerfile on main.").waitFor();
    expect(await panel(page).getByRole("radio").count()).toBe(0);
  });

  it("starts a run from Run Locally → Start Run in compose mode and follows it to READY", async () => {
    await page.goto("https://github.com/octo/app");
    await panel(page).getByRole("button", { name: "Run Locally" }).click();
    await panel(page).getByText("Found compose.yaml and Dockerfile on main.").waitFor();
    expect(
      await panel(page)
        .getByRole("radio", { name: /Compose/ })
        .isChecked(),
    ).toBe(true);
    await panel(page)
      .getByRole("radio", { name: /Dockerfile/ })
      .check();
    await panel(page)
      .getByRole("radio", { name: /Compose/ })
      .check();
    // Slow enough for the panel to show the states on the way.
    h.engine.defaultScript = { phaseMs: 600 };
    await panel(page).getByRole("button", { name: "Start Run" }).click();
    await expect.poll(() => status(page).textContent()).toMatch(/QUEUED|CLONING|BUILDING|DEPLOYING/);
    await panel(page).locator('[data-status="READY"]').waitFor({ timeout: 30_000 });
    h.engine.defaultScript = {};

    const runs = (await h.call("GET", "/runs")).body.items;
    expect(runs).toHaveLength(1);
    id = runs[0].id;
    expect(runs[0]).toMatchObject({
      status: "READY",
      repoUrl: "https://github.com/octo/app.git",
      ref: "main",
      mode: "compose",
    });
    await screenshot(page, "extension-panel", false);
  });

  it("keeps the token out of the page: nothing of it is in the page's DOM or storage", async () => {
    const html = await page.content();
    const pageStorage = await page.evaluate(() => JSON.stringify({ ...(globalThis as any).localStorage }));
    expect(html).not.toContain(TOKENS.alice);
    expect(pageStorage).not.toContain(TOKENS.alice);
    // And the API's log shows the calls came from the extension's origin with the token.
    expect(h.logText()).toMatch(/"method":"POST","url":"\/runs"[^\n]*"statusCode":202/);
  });

  it("opens the run's preview in a new tab", async () => {
    const [tab] = await Promise.all([
      context.waitForEvent("page"),
      panel(page).getByRole("button", { name: "Open Preview" }).click(),
    ]);
    await tab.waitForLoadState();
    const url = `http://127.0.0.1:${(previews.address() as AddressInfo).port}/run-${id}/`;
    expect(tab.url()).toBe(url);
    await tab.getByText(`preview of the app at /run-${id}/`).waitFor();
    await expect.poll(() => panel(page).locator(".message").textContent()).toBe(`Opened ${url}`);
    await tab.close();
  });

  it("lists this user's runs in the popup", async () => {
    const popup = await context.newPage();
    await popup.goto(`${extensionOrigin}/popup.html`);
    const row = popup.locator(`li[data-run-id="${id}"]`);
    await row.locator('[data-status="READY"]').waitFor();
    expect(await row.textContent()).toContain("octo/app");
    await popup.close();
  });

  it("stops the run with Stop Run and shows DESTROYED", async () => {
    await page.bringToFront();
    await panel(page).getByRole("button", { name: "Stop Run" }).click();
    await panel(page).locator('[data-status="DESTROYED"]').waitFor({ timeout: 30_000 });
    expect((await h.call("GET", `/runs/${id}`)).body.status).toBe("DESTROYED");
    expect(await panel(page).getByRole("button", { name: "Open Preview" }).isDisabled()).toBe(true);
  });
});

describe("CORS on the API", () => {
  it("answers the extension's origin and no other", async () => {
    const preflight = (origin: string) =>
      h.call("OPTIONS", "/runs", {
        token: null,
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
    const ours = await preflight(extensionOrigin);
    expect(ours.status).toBe(204);
    expect(ours.headers.get("access-control-allow-origin")).toBe(extensionOrigin);
    expect(ours.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(ours.headers.get("access-control-allow-credentials")).toBeNull();

    for (const origin of ["chrome-extension://abcdefghijklmnopabcdefghijklmnop", "https://github.com"]) {
      const other = await preflight(origin);
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      const read = await h.call("GET", "/runs", { headers: { origin } });
      expect(read.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});
