/**
 * The compiled command line: `automation/cli/main.ts` bundled by esbuild into one CommonJS file under
 * `dist/cli/`, so `reporunner` starts on plain node instead of transpiling TypeScript through tsx on
 * every call. npm packages stay outside the bundle (`require`d from node_modules as usual), and a
 * command's modules that are imported inside its action (`await import(...)`) are only evaluated
 * when it runs: esbuild wraps them in lazy initialisers.
 *
 * A build is keyed by its inputs: `dist/cli/inputs.json` names the bundle (by a hash of its content)
 * and every source file that went into it with its mtime and size. When any of them differs, or a
 * file is gone, the build is stale and `ensureCliBuild` rebuilds it before anything runs, so an edit
 * never runs old code. The manifest is written last and atomically, after its bundle: a reader sees
 * either the old pair or the new one.
 *
 * Bundled code still finds the files beside its sources: a project module's `__dirname` and
 * `__filename` are rewritten to its own folder and file (relative to the bundle, so the checkout can
 * move), and `require.main === module`, a script's "run me" check, is false inside the bundle.
 *
 * Plain JavaScript, not TypeScript: the launcher (`bin/reporunner.js`) runs it before any TypeScript
 * loader. `npm run build` runs it too (`node bin/cli-build.js`).
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const PROJECT_DIR = path.resolve(__dirname, "..");
const OUT_DIR = path.join(PROJECT_DIR, "dist", "cli");
const MANIFEST = path.join(OUT_DIR, "inputs.json");
const ENTRY = "automation/cli/main.ts";
/** Files that shape the build without being bundled: a change to them rebuilds too. */
const BUILD_FILES = ["bin/cli-build.js", "tsconfig.json"];

function stamp(file) {
  const stat = fs.statSync(path.join(PROJECT_DIR, file));
  return [stat.mtimeMs, stat.size];
}

/** The current bundle's path, or undefined when there is none or it is stale. */
function freshBuild() {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, "utf8"));
  } catch {
    return undefined;
  }
  const bundle = path.join(OUT_DIR, manifest.bundle);
  try {
    for (const [file, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
      const [nowMtime, nowSize] = stamp(file);
      if (nowMtime !== mtimeMs || nowSize !== size) return undefined;
    }
    if (!fs.existsSync(bundle)) return undefined;
  } catch {
    return undefined; // an input is gone
  }
  return bundle;
}

/** The rewrites above, for the project's own TypeScript files (never node_modules). */
const sourceLocations = {
  name: "source-locations",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = fs.readFileSync(args.path, "utf8");
      if (!/__dirname|__filename|require\.main/.test(source)) return undefined;
      const from = (target) =>
        `require("node:path").join(__dirname, ${JSON.stringify(path.relative(OUT_DIR, target))})`;
      const contents = source
        .replace(/\brequire\.main === module\b/g, "false")
        .replace(/\b__dirname\b/g, from(path.dirname(args.path)))
        .replace(/\b__filename\b/g, from(args.path));
      return { contents, loader: "ts" };
    });
  },
};

/** Builds the bundle and its manifest; returns the bundle's path. Throws when esbuild is missing. */
async function buildCli() {
  const { build, stop } = require("esbuild");
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const started = Date.now();
  // esbuild's service process (~44 MiB) would otherwise live as long as the API that rebuilt its bundle.
  const result = await build({
    absWorkingDir: PROJECT_DIR,
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    packages: "external",
    write: false,
    metafile: true,
    sourcemap: "external",
    outfile: path.join(OUT_DIR, "reporunner.js"),
    legalComments: "none",
    logLevel: "silent",
    tsconfig: path.join(PROJECT_DIR, "tsconfig.json"),
    plugins: [sourceLocations],
  }).finally(() => stop());
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs), ...BUILD_FILES]) {
    const [mtimeMs, size] = stamp(file);
    // A file written while esbuild read it may not be in the bundle as it is now: never fresh.
    inputs[file] = [mtimeMs >= started - 1000 ? -1 : mtimeMs, size];
  }
  const code = result.outputFiles.find((f) => f.path.endsWith(".js"));
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"));
  const hash = crypto.createHash("sha256").update(code.contents).digest("hex").slice(0, 16);
  const name = `reporunner-${hash}.js`;
  const write = (file, contents) => {
    const staging = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(staging, contents);
    fs.renameSync(staging, file);
  };
  const js = code.text.replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${name}.map\n`);
  write(path.join(OUT_DIR, `${name}.map`), map.contents);
  write(path.join(OUT_DIR, name), js);
  write(MANIFEST, `${JSON.stringify({ bundle: name, inputs })}\n`);
  // Older bundles go; one another process may still be loading stays (the newest other one).
  const others = fs
    .readdirSync(OUT_DIR)
    .filter((f) => /^reporunner-[0-9a-f]+\.js$/.test(f) && f !== name)
    .map((f) => ({ f, at: fs.statSync(path.join(OUT_DIR, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at)
    .slice(1);
  for (const { f } of others) {
    fs.rmSync(path.join(OUT_DIR, f), { force: true });
    fs.rmSync(path.join(OUT_DIR, `${f}.map`), { force: true });
  }
  return path.join(OUT_DIR, name);
}

/** The bundle to run: the current one, or a new one built from the sources as they are now. */
async function ensureCliBuild() {
  return freshBuild() ?? (await buildCli());
}

module.exports = { buildCli, ensureCliBuild, freshBuild, CLI_DIST: OUT_DIR };

if (require.main === module) {
  const started = Date.now();
  buildCli().then(
    (bundle) =>
      process.stdout.write(
        `[build] cli: ${path.relative(PROJECT_DIR, bundle)} (${Date.now() - started} ms)\n`,
      ),
    (error) => {
      process.stderr.write(`[build] cli: ${error instanceof Error ? error.message : error}\n`);
      process.exit(1);
    },
  );
}
