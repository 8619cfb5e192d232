import type { DefinitionsService } from "compose-spec-ts";
import { RepoFileRefusal } from "../source/repo-files";
import { listOrDictEntries } from "./list-or-dict";
import type { BuildSpec } from "./model";
import type { ModelContext } from "./model-context";
import { asBoolean } from "./units";

/** Build options that only tune the build; the image is built without them. */
const IGNORED_BUILD_KEYS = [
  "cache_from",
  "cache_to",
  "labels",
  "tags",
  "platforms",
  "pull",
  "no_cache",
  "shm_size",
  "ulimits",
  "isolation",
  "extra_hosts",
  "secrets",
  "additional_contexts",
] as const;

/**
 * A service's `build` as an image to build. The context and Dockerfile must stay inside the
 * repository (no `..` escapes, absolute paths or remote contexts): the builder must only ever see
 * the repository it was asked to run. Build options that reach the worker (privileged builds,
 * entitlements, host network, SSH agent forwarding) are refused.
 */
export function readBuild(
  service: DefinitionsService,
  name: string,
  servicePath: string,
  imageName: string,
  context: ModelContext,
): BuildSpec | undefined {
  const { findings } = context;
  const build = typeof service.build === "string" ? { context: service.build } : (service.build ?? {});
  const at = `${servicePath}.build`;
  const contextDir = context.files.resolve(context.projectDir, build.context ?? ".");
  if (contextDir instanceof RepoFileRefusal) {
    findings.refuse(
      typeof service.build === "string" ? at : `${at}.context`,
      `the build context ${contextDir.message}: use a directory inside the repository`,
    );
    return undefined;
  }
  if (contextDir.kind !== "directory") {
    findings.refuse(
      `${at}.context`,
      `"${build.context ?? "."}" is not a directory in the repository: fix the path`,
    );
    return undefined;
  }
  if (asBoolean(build.privileged))
    findings.refuse(`${at}.privileged`, "a privileged build runs as root on the worker: remove it");
  if (build.entitlements?.length) {
    findings.refuse(
      `${at}.entitlements`,
      "build entitlements (network.host, security.insecure) reach the worker: remove them",
    );
  }
  if (build.network === "host")
    findings.refuse(`${at}.network`, "a build on the host network reaches the worker's network: remove it");
  if (build.ssh !== undefined)
    findings.refuse(`${at}.ssh`, "SSH agent forwarding would hand the build the worker's keys: remove it");
  const ignored = IGNORED_BUILD_KEYS.filter((key) => build[key] !== undefined);
  if (ignored.length) {
    findings.warn(
      at,
      `${ignored.join(", ")} ${ignored.length > 1 ? "are" : "is"} not passed to the builder; the image is built without them`,
    );
  }

  let dockerfile: string | undefined;
  if (build.dockerfile_inline === undefined) {
    const written = build.dockerfile ?? "Dockerfile";
    // Read here, so the builder is only ever handed a regular file of sane size in the repository.
    const file = context.files.readFile(contextDir.relative, written);
    if (file === undefined) {
      findings.refuse(
        `${at}.dockerfile`,
        `"${written}" does not exist in ${contextDir.relative}: commit it or fix the path`,
      );
      return undefined;
    }
    if (file instanceof RepoFileRefusal) {
      findings.refuse(`${at}.dockerfile`, file.explain());
      return undefined;
    }
    dockerfile = file.path.relative;
  }

  const args = Object.fromEntries(
    listOrDictEntries(build.args).flatMap(([key, value]) => {
      const resolved = value ?? context.lookup(key);
      return resolved === undefined ? [] : [[key, resolved]];
    }),
  );
  return {
    service: name,
    context: contextDir.relative,
    ...(dockerfile ? { dockerfile } : {}),
    ...(build.dockerfile_inline !== undefined ? { dockerfileInline: build.dockerfile_inline } : {}),
    args,
    ...(build.target ? { target: build.target } : {}),
    imageName,
  };
}
