import { describe, expect, it } from "vitest";
import { namespaceBlockers } from "../../../automation/engine/namespace-blockers";

describe("why a run's namespace is not going away", () => {
  it("names what is left and the finalizers that hold it, in the namespace controller's words", () => {
    const held = namespaceBlockers({
      metadata: { name: "run-abc12345" },
      status: {
        phase: "Terminating",
        conditions: [
          { type: "NamespaceDeletionDiscoveryFailure", status: "False", message: "All resources discovered" },
          {
            type: "NamespaceContentRemaining",
            status: "True",
            message: "Some resources are remaining: configmaps. has 1 resource instances",
          },
          {
            type: "NamespaceFinalizersRemaining",
            status: "True",
            message:
              "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
          },
        ],
      },
    });
    expect(held).toBe(
      "namespace run-abc12345 cannot be deleted yet: Some resources are remaining: configmaps. has 1 resource instances; " +
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
    );
  });

  it("says nothing of a namespace that is not terminating", () => {
    expect(namespaceBlockers({ metadata: { name: "run-x" }, status: { phase: "Active" } })).toBeUndefined();
  });
});
