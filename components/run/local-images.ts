import { createHash } from "node:crypto";
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { type ImageLoader, imageLoadCommand } from "../cluster/image-loader";
import { shellLine } from "../cluster/shell";
import { environmentScrubLines } from "./build-environment";
import type { KubeObject } from "./compose";

/** The line the script prints when the local Docker engine has the image and it goes to the cluster. */
export const LOCAL_IMAGE_LOADED = "loaded from the local Docker engine";
/** The line the script prints when the local Docker engine does not have the image. */
export const LOCAL_IMAGE_MISSING = "not in the local Docker engine: the cluster pulls it";

/**
 * Every image the run's pods name that is not built from the repository: `image:` services, the
 * busybox of the `depends_on` waits, and what a Job or seed container runs. Sorted, each once.
 */
export function pulledImages(manifests: readonly KubeObject[], built: ReadonlySet<string>): string[] {
  const images = new Set<string>();
  for (const manifest of manifests) {
    const spec = (manifest as { spec?: { template?: { spec?: PodImages } } }).spec?.template?.spec;
    for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      if (container.image && !built.has(container.image)) images.add(container.image);
    }
  }
  return [...images].sort();
}

interface PodImages {
  readonly containers?: ReadonlyArray<{ readonly image?: string }>;
  readonly initContainers?: ReadonlyArray<{ readonly image?: string }>;
}

/**
 * The script that loads `image` into the cluster when the local Docker engine has it, as a built
 * image is loaded, and otherwise leaves it to the cluster to pull: a local-first tool runs what the
 * user already has, offline too.
 */
export function localImageScript(image: string, loader: ImageLoader): string {
  const quoted = shellLine([image]);
  return [
    ...environmentScrubLines([]),
    "set -eu",
    `if docker image inspect ${quoted} >/dev/null 2>&1; then`,
    `  ${imageLoadCommand(loader, image)}`,
    `  echo "image ${image}: ${LOCAL_IMAGE_LOADED}"`,
    "else",
    `  echo "image ${image}: ${LOCAL_IMAGE_MISSING}"`,
    "fi",
  ].join("\n");
}

/**
 * One command per pulled image, for the loaders that put images straight into the cluster's nodes
 * (kind, k3d, a containerd on this host). With a registry the nodes pull from it, and a pushed copy
 * of someone else's image would only shadow the original, so nothing is done there.
 */
export function createLocalImageLoads(
  name: string,
  spec: { readonly images: readonly string[]; readonly loader: ImageLoader },
  parent: pulumi.Resource,
): command.local.Command[] {
  const { loader } = spec;
  if (loader.method === "registry" || loader.method === "none") return [];
  return spec.images.map(
    (image) =>
      new command.local.Command(
        // Named by the reference, which never changes for a given image: a new image is a new command.
        `${name}-local-image-${resourceSuffix(image)}`,
        { create: localImageScript(image, loader), triggers: [image] },
        { parent },
      ),
  );
}

/** `busybox:latest` → `busybox-latest-<hash>`: readable, and two references never meet. */
function resourceSuffix(image: string): string {
  const readable = image.replace(/[^a-zA-Z0-9._-]+/g, "-").slice(0, 60);
  return `${readable}-${createHash("sha256").update(image).digest("hex").slice(0, 8)}`;
}
