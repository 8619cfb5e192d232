import { describe, expect, it } from "vitest";
import { repositoryReason } from "../../../automation/engine/failure-reason";
import { translateSource } from "../../../components/run/translate-source";
import { composeError, fixture, problemAt, translateFixture } from "./fixtures";

describe("compose refusals: each names the path and says what to change", () => {
  it("refuses a compose service that asks for privileged mode", () => {
    const error = composeError(() => translateFixture("hostile-privileged"));
    expect(error.kind).toBe("refused");
    expect(problemAt(error, "services.app.privileged")).toContain("remove privileged: true");
  });

  it("refuses network_mode: host", () => {
    const error = composeError(() => translateFixture("hostile-network-host"));
    expect(problemAt(error, "services.app.network_mode")).toBe(
      "network_mode: host shares the host's namespace with the container: remove it",
    );
  });

  it("refuses pid: host", () => {
    expect(
      problemAt(
        composeError(() => translateFixture("hostile-pid-host")),
        "services.app.pid",
      ),
    ).toContain("pid: host");
  });

  it("refuses ipc: host", () => {
    expect(
      problemAt(
        composeError(() => translateFixture("hostile-ipc-host")),
        "services.app.ipc",
      ),
    ).toContain("ipc: host");
  });

  it("refuses a bind mount of the Docker socket", () => {
    const error = composeError(() => translateFixture("hostile-docker-sock"));
    expect(problemAt(error, "services.ci.volumes[0]")).toContain("Docker socket");
    expect(problemAt(error, "services.ci.volumes[0]")).toContain("remove this volume");
  });

  it("refuses a bind mount of a host path such as /etc", () => {
    const error = composeError(() => translateFixture("hostile-etc-bind"));
    expect(problemAt(error, "services.app.volumes[0]")).toBe(
      'binds "/etc", which is absolute: a run cannot see the host\'s files; use a named volume, or a path inside the repository',
    );
  });

  it("refuses a bind mount that leaves the repository through .., and never shows a home folder", () => {
    const error = composeError(() => translateFixture("hostile-bind-outside"));
    expect(problemAt(error, "services.app.volumes[0]")).toContain("leaves the repository");
    // ~/.ssh is not read: the service gets an empty volume there instead, and a warning says so.
    expect(error.problems.map((problem) => problem.path)).toEqual(["services.app.volumes[0]"]);
    expect(error.warnings.find((warning) => warning.path === "services.app.volumes[1]")?.message).toBe(
      '"~/.ssh" is in the host\'s home directory, which a run cannot see: an empty volume (the PersistentVolumeClaim "home-ssh") is mounted at /root/.ssh instead',
    );
  });

  it("refuses a bind mount of a symlink that points outside the repository", () => {
    const error = composeError(() => translateFixture("hostile-symlink-escape"));
    expect(problemAt(error, "services.app.volumes[0]")).toContain("leaves the repository");
  });

  it("refuses host devices", () => {
    expect(
      problemAt(
        composeError(() => translateFixture("hostile-devices")),
        "services.app.devices",
      ),
    ).toContain("remove devices:");
  });

  it("refuses cap_add outside the safe set, and lists the allowed ones", () => {
    const error = composeError(() => translateFixture("hostile-cap-sys-admin"));
    expect(error.problems).toHaveLength(1);
    expect(problemAt(error, "services.app.cap_add[0]")).toMatch(
      /^SYS_ADMIN is not allowed in a run \(allowed: AUDIT_WRITE, CHOWN, .*NET_BIND_SERVICE.*\): remove it$/,
    );
  });

  it("refuses a build context that escapes the repository with ..", () => {
    const error = composeError(() => translateFixture("hostile-build-escape"));
    expect(problemAt(error, "services.app.build.context")).toBe(
      'the build context ".." leaves the repository: use a directory inside the repository',
    );
  });

  it("reports every refusal of every service at once", () => {
    const error = composeError(() => translateFixture("hostile-many"));
    expect(error.problems.map((problem) => problem.path).sort()).toEqual([
      "services.app.privileged",
      "services.app.security_opt[0]",
      "services.app.uts",
      "services.app.volumes_from",
      "services.other.cap_add[0]",
      "services.other.network_mode",
    ]);
    expect(error.message).toMatch(
      /^the compose file asks for something a run cannot allow\n {2}- compose\.yaml: services\.app\.privileged: /,
    );
  });

  it("refuses a required variable that is not set, with the file's own message", () => {
    const error = composeError(() => translateFixture("interpolation-required"));
    expect(problemAt(error, "services.app.image")).toBe(
      "required variable APP_TAG is not set (set APP_TAG to the image tag): set it in the run's environment or in .env",
    );
    expect(() =>
      translateFixture("interpolation-required", { environment: { APP_TAG: "1.0" } }),
    ).not.toThrow();
  });
});

describe("compose files that cannot be read", () => {
  it("reports YAML errors with file, line and column", () => {
    const error = composeError(() => translateFixture("bad-yaml"));
    expect(error.kind).toBe("yaml");
    expect(error.problems[0]!.path).toMatch(/^compose\.yaml:\d+:\d+$/);
    expect(error.message).toMatch(/^compose\.yaml is not valid YAML/);
    expect(error.problems[0]!.message).not.toMatch(/line \d+/);
  });

  it("names the path and the problem for values of the wrong type", () => {
    const error = composeError(() => translateFixture("schema-invalid-types"));
    expect(error.kind).toBe("schema");
    expect(problemAt(error, "services.web.ports[0].target")).toBe("must be integer or string");
    expect(problemAt(error, "services.web.deploy.replicas")).toBe("must be integer or string");
    expect(problemAt(error, "services.web.environment")).toContain("must be object");
  });

  it("names an unknown top-level key and says extension keys start with x-", () => {
    const error = composeError(() => translateFixture("unknown-top-level-key"));
    expect(error.problems).toEqual([
      {
        path: "servcies",
        message: 'unknown key "servcies" (extension keys must start with x-): remove it or fix its spelling',
      },
    ]);
  });

  it("names an unknown service key", () => {
    const error = composeError(() => translateFixture("unknown-service-key"));
    expect(error.problems).toEqual([
      { path: "services.web.prots", message: 'unknown key "prots": remove it or fix its spelling' },
    ]);
  });

  it("says what to add when the directory has no compose file", () => {
    const error = composeError(() => translateFixture("detect-nothing"));
    expect(error.kind).toBe("not-found");
    expect(problemAt(error, ".")).toBe(
      "no compose file at the repository root (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml): add a compose.yaml at the root",
    );
  });

  it("refuses volumes, configs and secrets whose names differ only by _ and - or case, naming both", () => {
    const error = composeError(() => translateFixture("object-name-clash", { environment: { TOKEN: "t" } }));
    expect(error.kind).toBe("refused");
    expect(problemAt(error, "volumes.db-data")).toBe(
      '"db-data" and "db_data" both become the PersistentVolumeClaim "db-data", so they would be one: rename one of them',
    );
    expect(problemAt(error, "configs.app-conf")).toContain(
      '"app-conf" and "app_conf" both become the ConfigMap',
    );
    expect(problemAt(error, "secrets.token")).toContain(
      '"token" and "Token" both become the Secret "secret-token"',
    );
  });

  it("gives a run's reason the refused keys and the warnings of the same pass, as translate shows them", () => {
    const error = composeError(() =>
      translateSource(fixture("refused-with-warnings"), { runId: "abc12345", mode: "auto" }),
    );
    const reason = repositoryReason({
      urn: "urn:pulumi:run-abc12345::reporunner::reporunner:run:RepoRun::run",
      message: `ResourceError: ${error.message}`,
    });
    expect(reason).toBe(
      [
        "the compose file asks for something a run cannot allow",
        "  - compose.yaml: services.app.privileged: privileged mode gives the container the host's devices and kernel: remove privileged: true",
        "warnings found in the same pass:",
        "  - services.app.stop_signal: ignored: Kubernetes stops containers with SIGTERM; handle it, or stop in a pre_stop hook",
      ].join("\n"),
    );
  });
});
