import { shellLine } from "./shell";

/**
 * How locally built images reach the cluster's nodes. kind and k3d copy the image into each node;
 * a cluster whose containerd runs on this host imports it there; any other cluster pulls from a
 * registry the image is pushed to.
 */
export type ImageLoader =
  | { readonly method: "kind-load"; readonly clusterName: string }
  | { readonly method: "k3d-import"; readonly clusterName: string }
  | { readonly method: "containerd-import"; readonly containerdAddress: string }
  | { readonly method: "registry"; readonly registry: string }
  | { readonly method: "none" };

/** The shell command that moves one image from the local Docker engine into the cluster. */
export function imageLoadCommand(loader: ImageLoader, image: string): string {
  switch (loader.method) {
    case "kind-load":
      return shellLine(["kind", "load", "docker-image", image, "--name", loader.clusterName]);
    case "k3d-import":
      return shellLine(["k3d", "image", "import", image, "--cluster", loader.clusterName]);
    case "containerd-import":
      // What `kind load` does inside its node: the image archive streamed into the CRI namespace.
      return `${shellLine(["docker", "save", image])} | ${shellLine(["ctr", "--address", loader.containerdAddress, "-n", "k8s.io", "images", "import", "-"])}`;
    case "registry":
      return shellLine(["docker", "push", image]);
    case "none":
      return "true";
  }
}
