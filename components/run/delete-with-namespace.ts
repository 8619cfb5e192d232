import * as pulumi from "@pulumi/pulumi";

/**
 * Everything a run creates in its namespace goes with the namespace. This transformation marks each
 * Kubernetes object created after the run's Namespace `deletedWith` it, so destroying a run is one
 * namespace deletion, as `kubectl delete namespace` is, instead of one delete per object: the official
 * provider deletes each object in the foreground and waits until it is gone.
 */
export function deleteWithRunNamespace(): pulumi.ResourceTransformation {
  let namespace: pulumi.Resource | undefined;
  return (args) => {
    if (args.type === "kubernetes:core/v1:Namespace") {
      namespace = args.resource;
      return undefined;
    }
    if (!namespace || !args.type.startsWith("kubernetes:")) return undefined;
    return { props: args.props, opts: pulumi.mergeOptions(args.opts, { deletedWith: namespace }) };
  };
}
