import { describe, expect, it } from "vitest";
import { failureReason, repositoryReason } from "../../../automation/engine/failure-reason";

const RUN_URN = "urn:pulumi:run-abc12345::reporunner::reporunner:run:RepoRun::run";

describe("repositoryReason", () => {
  it("keeps every refused key with what to change, as translate names them", () => {
    const reason = repositoryReason({
      urn: RUN_URN,
      message:
        "the compose file asks for something a run cannot allow\n" +
        "  - compose.yaml: services.app.privileged: privileged mode gives the container the host's devices and kernel: remove privileged: true\n" +
        "  - compose.yaml: services.app.pid: pid: host shares the host's namespace with the container: remove it\n",
    });
    expect(reason).toBe(
      "the compose file asks for something a run cannot allow\n" +
        "  - compose.yaml: services.app.privileged: privileged mode gives the container the host's devices and kernel: remove privileged: true\n" +
        "  - compose.yaml: services.app.pid: pid: host shares the host's namespace with the container: remove it",
    );
  });

  it("keeps the line and column of a YAML error, and drops the class name and stack frames", () => {
    const reason = repositoryReason({
      urn: RUN_URN,
      message:
        "ResourceError: compose.yaml is not valid YAML\n  - compose.yaml:5:10: Nested mappings are not allowed in compact mappings\n    at new RepoRun (/work/components/run/repo-run.ts:101:13)\n",
    });
    expect(reason).toBe(
      "compose.yaml is not valid YAML\n  - compose.yaml:5:10: Nested mappings are not allowed in compact mappings",
    );
  });

  it("is undefined for a diagnostic about any other resource, or none", () => {
    expect(
      repositoryReason({
        urn: "urn:pulumi:run-x::reporunner::reporunner:run:RepoRun$kubernetes:apps/v1:Deployment::web",
        message: "Deployment not ready",
      }),
    ).toBeUndefined();
    expect(repositoryReason({ message: "update failed" })).toBeUndefined();
  });

  it("shortens a very long list and says how much it left out", () => {
    const problems = Array.from(
      { length: 40 },
      (_, i) => `  - compose.yaml: services.s${i}.privileged: remove it`,
    );
    const reason = repositoryReason({ urn: RUN_URN, message: ["headline", ...problems].join("\n") })!;
    expect(reason.split("\n")).toHaveLength(31);
    expect(reason).toMatch(/… and 11 more lines$/);
  });
});

describe("failureReason", () => {
  it("does not put the engine's class name in front of a cause it cannot place", () => {
    expect(failureReason(["ResourceError: something unexpected\n    at x (y.ts:1:1)"]).reason).toBe(
      "the deployment failed: something unexpected",
    );
  });

  it("gives what a failed command printed, not the script it ran (the command provider's wording)", () => {
    const script = "for name in $(env | sed -n 's/=.*//p'); do\\n  case \"$name\" in PATH) ;; esac\\ndone";
    const diagnostic = `exit status 1: running "${script}":\n\nError response from daemon: dockerfile parse error line 10: unknown instruction: APT-GET\n`;
    expect(failureReason([diagnostic])).toEqual({
      kind: "deploy",
      reason:
        "a command of the run failed (exit status 1):\nError response from daemon: dockerfile parse error line 10: unknown instruction: APT-GET",
    });
  });

  it("keeps the script's first line when the command printed nothing", () => {
    expect(failureReason(['exit status 2: running "true":\n\n']).reason).toBe(
      'the deployment failed: exit status 2: running "true":',
    );
  });
});
