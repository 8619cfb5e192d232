import type { Command } from "commander";
import type { ComposeTranslation } from "../../components/run/compose";
import { type CliIO, EXIT } from "./io";

/** Options of `reporunner translate`, as commander parses them. */
interface TranslateFlags {
  json?: boolean;
  profile: string[];
  env: string[];
  runId: string;
  file?: string;
  waitImage?: string;
}

/**
 * `reporunner translate <dir>`: the compose project in `<dir>` as Kubernetes manifests, without a
 * cluster (like `kompose convert`). Prints multi-document YAML on stdout and warnings on stderr, or
 * with `--json` one object `{ manifests, warnings, images, podSecurity, published }` on stdout.
 */
export function registerTranslateCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  program
    .command("translate")
    .description("translate a repository's compose file into Kubernetes manifests (no cluster needed)")
    .argument("<dir>", "the repository directory")
    .option("--json", "print one JSON object {manifests, warnings, images, podSecurity, published}")
    .option("--profile <name>", "enable a compose profile (repeatable)", collect, [])
    .option("--env <KEY=VALUE>", "a variable for ${VAR} interpolation (repeatable)", collect, [])
    .option("--run-id <id>", "the run id: objects go into namespace run-<id>", "localrun")
    .option(
      "-f, --file <path>",
      "the compose file, relative to <dir> (default: compose.yaml, compose.yml, ...)",
    )
    .option("--wait-image <image>", "image with sh and nc for the dependency waits", "busybox:latest")
    .action(async (dir: string, flags: TranslateFlags) => setExitCode(await runTranslate(dir, flags, io)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runTranslate(dir: string, flags: TranslateFlags, io: CliIO): Promise<number> {
  // Loaded when the command runs, so that `reporunner --help` and the other commands skip them.
  const [{ ComposeError, translateCompose }, { stringify }] = await Promise.all([
    import("../../components/run/compose"),
    import("yaml"),
  ]);
  const environment: Record<string, string> = {};
  for (const pair of flags.env) {
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      io.stderr(`reporunner translate: --env ${pair}: write KEY=VALUE\n`);
      return EXIT.usage;
    }
    environment[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(flags.runId)) {
    io.stderr(`reporunner translate: --run-id ${flags.runId}: use lowercase letters and digits\n`);
    return EXIT.usage;
  }
  let translation: ComposeTranslation;
  try {
    translation = translateCompose(dir, {
      runId: flags.runId,
      profiles: flags.profile,
      environment,
      ...(flags.file ? { composeFile: flags.file } : {}),
      ...(flags.waitImage ? { waitImage: flags.waitImage } : {}),
    });
  } catch (error) {
    if (error instanceof ComposeError) {
      for (const warning of error.warnings) io.stderr(`warning: ${warning.path}: ${warning.message}\n`);
      io.stderr(`reporunner translate: ${error.message}\n`);
      return EXIT.refused;
    }
    throw error;
  }
  if (flags.json) {
    const { manifests, warnings, images, podSecurity, published } = translation;
    io.stdout(`${JSON.stringify({ manifests, warnings, images, podSecurity, published }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout(
    translation.manifests
      .map((manifest) => stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false }))
      .join("---\n"),
  );
  for (const warning of translation.warnings) io.stderr(`warning: ${warning.path}: ${warning.message}\n`);
  for (const image of translation.images) {
    const dockerfile = image.dockerfile ?? "(inline Dockerfile)";
    io.stderr(
      `build: ${image.service}: context ${image.context}, ${dockerfile}${image.target ? `, target ${image.target}` : ""} → ${image.imageName}\n`,
    );
  }
  if (translation.podSecurity.level !== "restricted") {
    io.stderr(
      `pod security: baseline, not restricted:\n${translation.podSecurity.reasons.map((reason) => `  - ${reason}\n`).join("")}`,
    );
    io.stderr(`${translation.podSecurity.capabilities}\n`);
  }
  return EXIT.ok;
}
