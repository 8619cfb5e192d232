/**
 * `npm run build` (after the dashboard): bundles the browser extension (`extension/src`) with
 * esbuild into `extension/dist`, the unpacked extension to load in Chromium
 * (chrome://extensions → Developer mode → Load unpacked). Each entry is one classic script:
 * the content script and the service worker cannot be ES modules without extra manifest keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

export const EXTENSION_DIR = __dirname;
const SRC = path.join(EXTENSION_DIR, "src");
const STATIC = path.join(EXTENSION_DIR, "static");
export const EXTENSION_DIST = path.join(EXTENSION_DIR, "dist");

const ENTRIES = ["background", "content", "popup", "options"];

/** Builds the extension into `outDir` (default `extension/dist`) and returns the files written. */
export async function buildExtension(outDir: string = EXTENSION_DIST): Promise<string[]> {
  const staging = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, path.join(SRC, `${e}.ts`)])),
    bundle: true,
    outdir: staging,
    format: "iife",
    target: ["chrome120"],
    minify: false,
    sourcemap: false,
    legalComments: "none",
    // Built output, checked as its sources (`extension/src`); `eslint .` would otherwise read it as Node code.
    banner: { js: "/* eslint-disable */" },
    logLevel: "silent",
    tsconfig: path.join(EXTENSION_DIR, "tsconfig.json"),
  });
  for (const file of fs.readdirSync(STATIC))
    fs.copyFileSync(path.join(STATIC, file), path.join(staging, file));
  // Swap the whole folder, so a browser reloading it never sees half a build.
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(staging, outDir);
  return fs.readdirSync(outDir).sort();
}

if (require.main === module) {
  const started = Date.now();
  buildExtension().then(
    (files) => {
      process.stdout.write(
        `[build] extension: ${files.length} files in extension/dist (${Date.now() - started} ms)\n`,
      );
    },
    (error: Error) => {
      process.stderr.write(`[build] extension: ${error.message}\n`);
      process.exit(1);
    },
  );
}
