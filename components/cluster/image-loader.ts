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
    case "containerd-import": {
      // What `kind load` does inside its node: the image archive streamed into the CRI namespace,
      // skipped when containerd has the reference already (tags are content hashes).
      const ctr = ["ctr", "--address", loader.containerdAddress, "-n", "k8s.io", "images"];
      const present = `${shellLine([...ctr, "ls", "-q"])} | grep -qxF ${shellLine([containerdName(image)])}`;
      return `${present} || ${shellLine(["docker", "save", image])} | ${shellLine([...ctr, "import", "-"])}`;
    }
    case "registry":
      return shellLine(["docker", "push", image]);
    case "none":
      return "true";
  }
}

/** The fully qualified name containerd stores an image under (`busybox` → `docker.io/library/busybox:latest`). */
export function containerdName(image: string): string {
  const [first, ...rest] = image.split("/");
  const hasRegistry =
    rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  let name = hasRegistry ? image : rest.length > 0 ? `docker.io/${image}` : `docker.io/library/${image}`;
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  if (!lastPart.includes(":") && !lastPart.includes("@")) name += ":latest";
  return name;
}
