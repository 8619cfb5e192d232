// Smoke test of the Pulumi engine that builtin-cluster/build/10-pulumi.sh builds, with no network and a throwaway
// PULUMI_HOME and file backend. Run it by hand: node testenv/smoke/pulumi-smoke.mjs
//   1. inline program (Automation API, program in this process): a command.local.Command echoes a line;
//      up, check the output, check the provider version the engine used, destroy, remove the stack.
//   2. the same with a program on disk (Pulumi.yaml, runtime nodejs), which goes through pulumi-language-nodejs.
//   3. no plugin was downloaded into PULUMI_HOME.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const projectDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cache = process.env.REPORUNNER_CACHE ?? join(process.env.HOME, ".cache", "reporunner");
const binDir = join(cache, "toolchain", "pulumi", "bin");
const shimDir = dirname(require.resolve("@pulumi/pulumi/package.json"));

const work = mkdtempSync(join(tmpdir(), "pulumi-smoke-"));
Object.assign(process.env, {
  PATH: `${binDir}:${shimDir}:${process.env.PATH}`,
  PULUMI_HOME: join(work, "home"),
  PULUMI_BACKEND_URL: `file://${join(work, "state")}`,
  PULUMI_CONFIG_PASSPHRASE: "test",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
});
delete process.env.PULUMI_IGNORE_AMBIENT_PLUGINS;
mkdirSync(join(work, "home"));
mkdirSync(join(work, "state"));

const { LocalWorkspace } = require("@pulumi/pulumi/automation");
const expectedCommandVersion = require("@pulumi/command/package.json").pulumi.version;
const log = (...a) => console.log("[pulumi-smoke]", ...a);

// exercise: up, check the echo and the provider version in the state, destroy, remove the stack.
async function exercise(label, stack, message) {
  const up = await stack.up({ onOutput: () => {} });
  const stdout = up.outputs.stdout?.value;
  log(`${label}: up ${up.summary.result}, stdout=${JSON.stringify(stdout)}`);
  assert.equal(up.summary.result, "succeeded");
  assert.equal(stdout, message);

  const state = await stack.exportStack();
  const providers = state.deployment.resources.filter((r) => r.type === "pulumi:providers:command");
  const versions = providers.map((r) => r.inputs?.version ?? r.outputs?.version);
  log(`${label}: command provider version(s) in state: ${versions.join(", ")}`);
  assert.deepEqual(versions, [expectedCommandVersion]);

  const destroy = await stack.destroy({ onOutput: () => {} });
  log(`${label}: destroy ${destroy.summary.result}`);
  assert.equal(destroy.summary.result, "succeeded");
  await stack.workspace.removeStack(stack.name);
}

try {
  const ws = await LocalWorkspace.create({});
  log(`pulumi CLI ${ws.pulumiVersion}`);

  // 1. inline program
  const inlineMessage = "hello from an inline program";
  const inline = await LocalWorkspace.createOrSelectStack({
    stackName: "smoke",
    projectName: "reporunner-smoke",
    program: async () => {
      const command = require("@pulumi/command");
      const echo = new command.local.Command("echo", { create: `echo '${inlineMessage}'` });
      return { stdout: echo.stdout };
    },
  });
  await exercise("inline program", inline, inlineMessage);

  // 2. program on disk, run by pulumi-language-nodejs
  const programDir = join(work, "program");
  mkdirSync(programDir);
  symlinkSync(join(projectDir, "node_modules"), join(programDir, "node_modules"));
  writeFileSync(join(programDir, "Pulumi.yaml"), "name: reporunner-smoke-dir\nruntime: nodejs\n");
  writeFileSync(
    join(programDir, "index.js"),
    `const command = require("@pulumi/command");
const echo = new command.local.Command("echo", { create: "echo hello from a program on disk" });
exports.stdout = echo.stdout;
`,
  );
  const onDisk = await LocalWorkspace.createOrSelectStack({ stackName: "smoke", workDir: programDir });
  await exercise("program on disk", onDisk, "hello from a program on disk");

  // 3. nothing was downloaded
  const plugins = readdirSync(join(work, "home")).includes("plugins")
    ? readdirSync(join(work, "home", "plugins"))
    : [];
  log(`plugins downloaded into PULUMI_HOME: ${plugins.length ? plugins.join(", ") : "none"}`);
  assert.deepEqual(plugins, []);
  log("ok");
} finally {
  rmSync(work, { recursive: true, force: true });
}
