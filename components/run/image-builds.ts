import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ImageLoader } from "../cluster/image-loader";
import { buildContextHash } from "./build-context-hash";
import { RepoFileRefusal, RepoFiles } from "./source/repo-files";
import type { BuildSpec } from "./compose";
import {
  badBuildArgName,
  buildAndLoadScript,
  buildScriptEnvironment,
  type ImageBuildPlan,
  imageReference,
} from "./image-commands";
import type { RegistryCredentials } from "./pull-secret";
import { containsHidden, type HiddenValue } from "./secret-values";

/** Where each placeholder image reference of the translation now points, and the commands that build them. */
export interface BuiltImages {
  /** Placeholder reference → built reference. */
  readonly references: Map<string, string>;
  /** Service → built reference. */
  readonly byService: Record<string, string>;
  readonly commands: command.local.Command[];
}

/** The plan for one build spec of the translation: its content hash decides its reference. */
export function planBuild(sourceDir: string, spec: BuildSpec, registry?: string): ImageBuildPlan {
  const contextDir = path.resolve(sourceDir, spec.context);
  const dockerfilePath =
    spec.dockerfileInline === undefined
      ? path.resolve(sourceDir, spec.dockerfile ?? path.join(spec.context, "Dockerfile"))
      : undefined;
  const dockerfile =
    spec.dockerfileInline ??
    readDockerfile(sourceDir, spec.dockerfile ?? path.join(spec.context, "Dockerfile"));
  const contentHash = buildContextHash({ contextDir, dockerfile, args: spec.args, target: spec.target });
  return {
    service: spec.service,
    contextDir,
    dockerfilePath,
    dockerfileInline: spec.dockerfileInline,
    args: spec.args,
    target: spec.target,
    imageRef: imageReference(spec.service, contentHash, registry),
  };
}

/** The Dockerfile's text, read within the repository's walls like every other repository file. */
function readDockerfile(sourceDir: string, written: string): string {
  const file = new RepoFiles(sourceDir).readFile(".", written);
  if (file instanceof RepoFileRefusal) throw new Error(`${written}: ${file.explain(written)}`);
  if (!file) throw new Error(`${written}: the Dockerfile is missing`);
  return file.content.toString("utf8");
}

/**
 * One command per image: build it unless the engine has it, then load it into the cluster. Deleting
 * a run leaves the image in the local cache on purpose: the next run of the same content reuses it.
 * With `registryCredentials` (hybrid mode: ECR), the push logs in with them first; they reach the
 * command only as secret environment variables.
 *
 * Build arguments (which may be the run's secret values) and the inline Dockerfile travel the same
 * way: the Command's `environment` is a secret, the script text names variables only, and the build's
 * output (`stdout`, `stderr`: a `RUN env` prints every argument) is kept encrypted in the state. A
 * script that still holds one of `hidden` (a variable in a build context path or target) is a secret too.
 */
export function createImageBuilds(
  name: string,
  spec: {
    readonly sourceDir: string;
    readonly builds: readonly BuildSpec[];
    readonly loader: ImageLoader;
    readonly registryCredentials?: pulumi.Input<RegistryCredentials>;
    /** The run's values, to find in what cannot be moved into the environment. */
    readonly hidden?: readonly HiddenValue[];
  },
  parent: pulumi.Resource,
): BuiltImages {
  const registry = spec.loader.method === "registry" ? spec.loader.registry : undefined;
  const references = new Map<string, string>();
  const byService: Record<string, string> = {};
  const commands = spec.builds.map((build) => {
    const plan = planBuild(spec.sourceDir, build, registry);
    references.set(build.imageName, plan.imageRef);
    byService[build.service] = plan.imageRef;
    for (const key of Object.keys(plan.args)) {
      const problem = badBuildArgName(key);
      if (problem) throw new pulumi.ResourceError(`services.${build.service}.build.args: ${problem}`, parent);
    }
    const scriptEnv = buildScriptEnvironment(plan);
    const login = spec.registryCredentials !== undefined && spec.loader.method === "registry";
    const script = buildAndLoadScript(plan, spec.loader, login);
    return new command.local.Command(
      // Named by service: a new content hash updates the image through `triggers`, never renames it.
      `${name}-image-${build.service}`,
      {
        create: containsHidden(script, spec.hidden ?? []) ? pulumi.secret(script) : script,
        environment: login
          ? pulumi.secret(spec.registryCredentials!).apply((c) => ({
              ...scriptEnv,
              REGISTRY_SERVER: c.server,
              REGISTRY_USERNAME: c.username,
              REGISTRY_PASSWORD: c.password,
            }))
          : pulumi.secret(scriptEnv),
        triggers: [plan.imageRef],
      },
      { parent, additionalSecretOutputs: ["stdout", "stderr"] },
    );
  });
  return { references, byService, commands };
}
