import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { deleteWithRunNamespace } from "../../../components/run/delete-with-namespace";

/** A stand-in for the resource a transformation is handed: only its identity matters here. */
const resource = (name: string) => ({ name }) as unknown as pulumi.Resource;
const args = (type: string, name: string, opts: pulumi.ResourceOptions = {}) => ({
  type,
  name,
  resource: resource(name),
  props: { metadata: { name } },
  opts,
});

describe("a run's objects go with its namespace", () => {
  it("marks every Kubernetes object after the Namespace deletedWith it, and nothing else", () => {
    const transform = deleteWithRunNamespace();
    expect(transform(args("kubernetes:apps/v1:Deployment", "early"))).toBeUndefined();
    const namespace = args("kubernetes:core/v1:Namespace", "run-namespace");
    expect(transform(namespace)).toBeUndefined();
    const deployment = transform(args("kubernetes:apps/v1:Deployment", "web", { dependsOn: [] }));
    expect(deployment?.opts.deletedWith).toBe(namespace.resource);
    expect(deployment?.opts.dependsOn).toEqual([]);
    expect(transform(args("kubernetes:core/v1:PersistentVolumeClaim", "data"))?.opts.deletedWith).toBe(
      namespace.resource,
    );
    // The image builds run on this machine: the namespace does not take them along.
    expect(transform(args("command:local:Command", "image-web"))).toBeUndefined();
  });
});
