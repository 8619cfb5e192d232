import { describe, expect, it } from "vitest";
import { chooseCluster, type MachineProbe, NoClusterError } from "../../../automation/local/cluster-choice";

interface Machine {
  kind?: boolean;
  builtKind?: boolean;
  docker?: boolean;
  privileged?: boolean;
  root?: boolean;
}
const machine = (m: Machine): MachineProbe => ({
  hasKind: () => m.kind ?? false,
  hasBuiltKind: () => m.builtKind ?? false,
  hasDockerEngine: () => m.docker ?? false,
  canRunPrivileged: () => m.privileged ?? true,
  canRunTestEnvironment: () => m.root ?? false,
});
const installedKind = { provider: "kind", kind: "installed" };
const kindHere = { provider: "kind", kind: "here" };
const builtin = { provider: "builtin" };

describe("the cluster `up` picks", () => {
  it("auto: kind when kind and a Docker engine that runs privileged containers are here", () => {
    expect(chooseCluster("auto", machine({ kind: true, docker: true, root: true }))).toEqual(installedKind);
  });

  it("auto: the built-in cluster when either is missing, or Docker cannot run kind's privileged nodes", () => {
    expect(chooseCluster("auto", machine({ kind: true, root: true }))).toEqual(builtin);
    expect(chooseCluster("auto", machine({ docker: true, builtKind: true, root: true }))).toEqual(builtin);
    expect(
      chooseCluster("auto", machine({ kind: true, docker: true, privileged: false, root: true })),
    ).toEqual(builtin);
  });

  it("auto: says what to install when neither can be had", () => {
    expect(() => chooseCluster("auto", machine({}))).toThrow(NoClusterError);
    expect(() => chooseCluster("auto", machine({}))).toThrow(
      /install Docker and kind \(https:\/\/kind\.sigs\.k8s\.io\), or run as root on Linux/,
    );
  });

  it("--cluster kind: kind as built here where stock kind cannot run, on the test environment's Docker", () => {
    expect(chooseCluster("kind", machine({ kind: true, docker: true }))).toEqual(installedKind);
    expect(chooseCluster("kind", machine({ builtKind: true, root: true }))).toEqual(kindHere);
    expect(
      chooseCluster("kind", machine({ kind: true, docker: true, privileged: false, root: true })),
    ).toEqual(kindHere);
  });

  it("an explicit choice names what it lacks", () => {
    expect(() => chooseCluster("kind", machine({ docker: true, root: true }))).toThrow(
      /kind is not on PATH.*npm run setup/,
    );
    expect(() => chooseCluster("kind", machine({ kind: true }))).toThrow(/no Docker engine answers/);
    expect(() => chooseCluster("builtin", machine({ kind: true, docker: true }))).toThrow(
      /needs Linux and root/,
    );
    expect(chooseCluster("builtin", machine({ root: true }))).toEqual(builtin);
  });
});
