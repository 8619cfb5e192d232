import { type ImageLoader, imageLoadCommand } from "../cluster/image-loader";
import { shellLine } from "../cluster/shell";

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

/**
 * The shell script that builds one image unless the local engine already has it, then moves it into
 * the cluster the way the cluster takes images. The Docker build output streams to Pulumi's output.
 * With `login`, it logs in to the registry first (see `REGISTRY_LOGIN_LINES`).
 */
export function buildAndLoadScript(plan: ImageBuildPlan, loader: ImageLoader, login = false): string {
  const build = ["docker", "build", "--tag", plan.imageRef];
  for (const key of Object.keys(plan.args).sort()) build.push("--build-arg", `${key}=${plan.args[key]}`);
  if (plan.target) build.push("--target", plan.target);
  build.push("--file", plan.dockerfileInline !== undefined ? "-" : (plan.dockerfilePath ?? "Dockerfile"));
  build.push(plan.contextDir);
  const buildLine =
    plan.dockerfileInline !== undefined
      ? `printf '%s' "$DOCKERFILE_INLINE" | ${shellLine(build)}`
      : shellLine(build);
  return [
    "set -eu",
    `if docker image inspect ${shellLine([plan.imageRef])} >/dev/null 2>&1; then`,
    `  echo "image ${plan.imageRef} is built already: build skipped"`,
    "else",
    `  ${buildLine}`,
    "fi",
    ...(login ? REGISTRY_LOGIN_LINES : []),
    imageLoadCommand(loader, plan.imageRef),
  ].join("\n");
}
