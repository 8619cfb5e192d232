import { type ImageLoader, imageLoadCommand } from "../cluster/image-loader";
import { shellLine } from "../cluster/shell";
import { buildArgVariable, environmentScrubLines } from "./build-environment";

/** The line the script prints when an image the engine has already is not built again. */
export const IMAGE_BUILD_SKIPPED = "build skipped";
/**
 * The line the script prints as the build ends and the load starts: the Run API's traces split the
 * Command's step there (`automation/engine/update-spans.ts`), and users see where the time went.
 */
export const IMAGE_LOAD_MARKER = "loading image";

/** One image to build: where, how, and the reference it gets. */
export interface ImageBuildPlan {
  readonly service: string;
  readonly contextDir: string;
  /** Path of the Dockerfile, absolute; or the Dockerfile's text on stdin when `dockerfileInline` is set. */
  readonly dockerfilePath?: string;
  readonly dockerfileInline?: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
  /** `[registry/]reporunner/<service>:<content hash>`. */
  readonly imageRef: string;
}

/** The image reference of a service: content-addressed, so the same content never builds twice. */
export function imageReference(service: string, contentHash: string, registry?: string): string {
  const repository = `reporunner/${service}`;
  return registry ? `${registry}/${repository}:${contentHash}` : `${repository}:${contentHash}`;
}

/**
 * Logs in to the registry the image is pushed to, in a Docker config of its own that the script
 * removes when it ends: the credentials (`REGISTRY_SERVER`, `REGISTRY_USERNAME`, `REGISTRY_PASSWORD`
 * in the environment; an ECR token in hybrid mode) never reach the user's `~/.docker/config.json`.
 */
export const REGISTRY_LOGIN_LINES = [
  'DOCKER_CONFIG="$(mktemp -d)"',
  "export DOCKER_CONFIG",
  `trap 'rm -rf "$DOCKER_CONFIG"' EXIT`,
  `printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USERNAME" --password-stdin "$REGISTRY_SERVER" >/dev/null`,
];

/** Build argument names the docker CLI reads itself: exported, they would change where or how it builds. */
const CLI_VARIABLE =
  /^(DOCKER_.*|BUILDX_.*|BUILDKIT_.*|PATH|HOME|TMPDIR|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR))$/;

/** Build argument names the script can export (the names `export` takes). */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A build argument name that cannot be handed to `docker build` safely; undefined when it can. */
export function badBuildArgName(name: string): string | undefined {
  return SHELL_NAME.test(name) ? undefined : `build argument "${name}" is not a variable name`;
}

/** The variables the build script reads from its Command's environment (kept by the scrub). */
function scriptVariables(login: boolean): string[] {
  return [
    "RR_BUILD_ARG_*",
    "DOCKERFILE_INLINE",
    ...(login ? ["REGISTRY_SERVER", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"] : []),
  ];
}

/**
 * The environment the build script needs besides the allow-list: each build argument's value under
 * `RR_BUILD_ARG_<name>`, and the inline Dockerfile. The caller passes it as the Command's secret
 * `environment`: values never appear in the script's text, which Pulumi keeps in plain text.
 */
export function buildScriptEnvironment(plan: ImageBuildPlan): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(plan.args)) env[buildArgVariable(key)] = value;
  if (plan.dockerfileInline !== undefined) env.DOCKERFILE_INLINE = plan.dockerfileInline;
  return env;
}

/**
 * The shell script that builds one image unless the local engine already has it, then moves it into
 * the cluster the way the cluster takes images. The Docker build output streams to Pulumi's output.
 * With `login`, it logs in to the registry first (see `REGISTRY_LOGIN_LINES`).
 *
 * The script first drops every inherited variable outside the allow-list (`build-environment.ts`).
 * Build arguments reach `docker build` by name only (`--build-arg NAME`, which the docker CLI reads
 * from its environment), exported in a subshell from `RR_BUILD_ARG_NAME` (`buildScriptEnvironment`).
 * A name the docker CLI reads itself (`DOCKER_HOST`, proxies) is not exported but passed as
 * `--build-arg "NAME=$RR_BUILD_ARG_NAME"`: still no value in the text, and the CLI keeps its own.
 */
export function buildAndLoadScript(plan: ImageBuildPlan, loader: ImageLoader, login = false): string {
  const exported: string[] = [];
  const build = ["docker", "build", "--tag", plan.imageRef];
  const buildArgs: string[] = [];
  for (const key of Object.keys(plan.args).sort()) {
    const problem = badBuildArgName(key);
    if (problem) throw new Error(problem);
    if (CLI_VARIABLE.test(key)) {
      buildArgs.push(`--build-arg "${key}=$${buildArgVariable(key)}"`);
    } else {
      exported.push(`export ${key}="$${buildArgVariable(key)}"`);
      buildArgs.push(`--build-arg ${key}`);
    }
  }
  const tail: string[] = [];
  if (plan.target) tail.push("--target", plan.target);
  tail.push("--file", plan.dockerfileInline !== undefined ? "-" : (plan.dockerfilePath ?? "Dockerfile"));
  tail.push(plan.contextDir);
  const dockerBuild = [shellLine(build), ...buildArgs, shellLine(tail)].join(" ");
  const buildLine =
    plan.dockerfileInline !== undefined ? `printf '%s' "$DOCKERFILE_INLINE" | ${dockerBuild}` : dockerBuild;
  return [
    ...environmentScrubLines(scriptVariables(login)),
    "set -eu",
    `if docker image inspect ${shellLine([plan.imageRef])} >/dev/null 2>&1; then`,
    `  echo "image ${plan.imageRef} is built already: ${IMAGE_BUILD_SKIPPED}"`,
    "else",
    ...(exported.length
      ? ["  (", ...exported.map((line) => `    ${line}`), `    ${buildLine}`, "  )"]
      : [`  ${buildLine}`]),
    "fi",
    ...(login ? REGISTRY_LOGIN_LINES : []),
    `echo "${IMAGE_LOAD_MARKER} ${plan.imageRef} into the cluster"`,
    imageLoadCommand(loader, plan.imageRef),
  ].join("\n");
}
