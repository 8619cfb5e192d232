import { describe, expect, it } from "vitest";
import { chooseCluster, type MachineProbe, NoClusterError } from "../../../automation/local/cluster-choice";

const machine = (kind: boolean, docker: boolean, root: boolean): MachineProbe => ({
  hasKind: () => kind,
  hasDockerEngine: () => docker,
  canRunTestEnvironment: () => root,
});

describe("the cluster `up` picks", () => {
  it("auto: kind when kind and a Docker engine are both here", () => {
    expect(chooseCluster("auto", machine(true, true, true))).toBe("kind");
  });

  it("auto: the built-in cluster when either is missing and it can run here", () => {
    expect(chooseCluster("auto", machine(true, false, true))).toBe("builtin");
    expect(chooseCluster("auto", machine(false, true, true))).toBe("builtin");
  });

  it("auto: says what to install when neither can be had", () => {
    expect(() => chooseCluster("auto", machine(false, false, false))).toThrow(NoClusterError);
    expect(() => chooseCluster("auto", machine(false, false, false))).toThrow(
      /install Docker and kind \(https:\/\/kind\.sigs\.k8s\.io\), or run as root on Linux/,
    );
  });

  it("an explicit choice names what it lacks", () => {
    expect(() => chooseCluster("kind", machine(false, true, true))).toThrow(/kind is not on PATH/);
    expect(() => chooseCluster("kind", machine(true, false, true))).toThrow(/no Docker engine answers/);
    expect(() => chooseCluster("builtin", machine(true, true, false))).toThrow(/needs Linux and root/);
    expect(chooseCluster("builtin", machine(true, true, true))).toBe("builtin");
  });
});
