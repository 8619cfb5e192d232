import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ImageLoader } from "../cluster/image-loader";
import { buildContextHash } from "./build-context-hash";
import type { BuildSpec } from "./compose";
import { buildAndLoadScript, type ImageBuildPlan, imageReference } from "./image-commands";
import type { RegistryCredentials } from "./pull-secret";

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
  const dockerfile = spec.dockerfileInline ?? fs.readFileSync(dockerfilePath!, "utf8");
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

/**
 * One command per image: build it unless the engine has it, then load it into the cluster. Deleting
 * a run leaves the image in the local cache on purpose: the next run of the same content reuses it.
 * With `registryCredentials` (hybrid mode: ECR), the push logs in with them first; they reach the
 * command only as secret environment variables.
 */
export function createImageBuilds(
  name: string,
  spec: {
    readonly sourceDir: string;
    readonly builds: readonly BuildSpec[];
    readonly loader: ImageLoader;
    readonly registryCredentials?: pulumi.Input<RegistryCredentials>;
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
    const inline: Record<string, string> =
      plan.dockerfileInline !== undefined ? { DOCKERFILE_INLINE: plan.dockerfileInline } : {};
    const login = spec.registryCredentials !== undefined && spec.loader.method === "registry";
    return new command.local.Command(
      // Named by service: a new content hash updates the image through `triggers`, never renames it.
      `${name}-image-${build.service}`,
      {
        create: buildAndLoadScript(plan, spec.loader, login),
        environment: login
          ? pulumi.secret(spec.registryCredentials!).apply((c) => ({
              ...inline,
              REGISTRY_SERVER: c.server,
              REGISTRY_USERNAME: c.username,
              REGISTRY_PASSWORD: c.password,
            }))
          : inline,
        triggers: [plan.imageRef],
      },
      { parent },
    );
  });
  return { references, byService, commands };
}
