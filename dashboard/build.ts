/**
 * `npm run build`: bundles the dashboard (`dashboard/src`, Preact) with esbuild into `dashboard/dist`,
 * the folder the Run API serves at `/`. Asset names carry a content hash, so the API can let browsers
 * cache them for good; `index.html` names the current ones. Everything is local: no CDN, no fonts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

export const DASHBOARD_DIR = __dirname;
const SRC = path.join(DASHBOARD_DIR, "src");
const DIST = path.join(DASHBOARD_DIR, "dist");

/** Builds the dashboard into `outDir` (default `dashboard/dist`) and returns the files written. */
export async function buildDashboard(outDir: string = DIST): Promise<string[]> {
  const staging = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: path.join(SRC, "main.tsx") },
    bundle: true,
    outdir: staging,
    entryNames: "assets/[name]-[hash]",
    assetNames: "assets/[name]-[hash]",
    format: "esm",
    target: ["chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
    tsconfig: path.join(DASHBOARD_DIR, "tsconfig.json"),
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(staging, path.resolve(f)));
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  if (!js || !css) throw new Error(`the dashboard build wrote no script or style: ${outputs.join(", ")}`);
  const html = fs
    .readFileSync(path.join(SRC, "index.html"), "utf8")
    .replace("%SCRIPT%", `/${js}`)
    .replace("%STYLE%", `/${css}`);
  fs.writeFileSync(path.join(staging, "index.html"), html);
  fs.copyFileSync(path.join(SRC, "favicon.svg"), path.join(staging, "favicon.svg"));
  // Swap the whole folder, so a server reading it never sees half a build.
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(staging, outDir);
  return ["index.html", "favicon.svg", ...outputs];
}

/** Whether `dashboard/dist` is missing or older than a source file. */
export function dashboardStale(outDir: string = DIST): boolean {
  const index = path.join(outDir, "index.html");
  if (!fs.existsSync(index)) return true;
  const built = fs.statSync(index).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs;
      }),
    );
  return newest(SRC) > built;
}

if (require.main === module) {
  const started = Date.now();
  buildDashboard().then(
    (files) => {
      process.stdout.write(
        `[build] dashboard: ${files.length} files in dashboard/dist (${Date.now() - started} ms)\n`,
      );
    },
    (error: Error) => {
      process.stderr.write(`[build] dashboard: ${error.message}\n`);
      process.exit(1);
    },
  );
}
