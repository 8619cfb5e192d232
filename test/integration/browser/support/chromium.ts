/**
 * Debian's Chromium, driven by playwright-core: installed by `testenv/install-chromium.sh` when it is
 * missing, launched headless with a fresh profile and nothing that reaches beyond this machine.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PROJECT_DIR } from "../../support/testenv";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(PROJECT_DIR, "docs", "screenshots");

/** Flags that keep Chromium quiet and local: no sync, no component updates, no QUIC. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with a fresh profile; `close()` removes the profile too. */
export async function launchChromium(
  options: { args?: string[]; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "install-chromium.sh")], { stdio: "inherit" });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...(options.args ?? [])],
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under docs/screenshots (the README shows them). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}
