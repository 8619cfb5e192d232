import { describe, expect, it } from "vitest";
import { composeError, manifest, problemAt, translateFixture, warningAt } from "./fixtures";

describe("depends_on → start order", () => {
  it("adds an init container per dependency that waits until the dependency's Service answers", () => {
    const { manifests } = translateFixture("depends-on", { waitImage: "busybox:1.36" });
    const web = manifest(manifests, "Deployment", "web").spec.template.spec;
    expect(web.initContainers.map((init: { name: string }) => init.name)).toEqual([
      "wait-for-db",
      "wait-for-cache",
    ]);
    expect(web.initContainers[1]).toMatchObject({
      image: "busybox:1.36",
      command: ["sh", "-c", expect.stringContaining("until nc -w 2 cache 6379 -e true")],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      },
    });
    expect(manifest(manifests, "Deployment", "worker").spec.template.spec.initContainers[0].name).toBe(
      "wait-for-cache",
    );
  });

  it("runs a service that others wait on with service_completed_successfully as a Job, and says dependents do not wait", () => {
    const { manifests, warnings } = translateFixture("depends-on");
    const job = manifest(manifests, "Job", "migrate");
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.containers[0].args).toEqual(["npm", "run", "migrate"]);
    expect(
      manifests.find((item) => item.kind === "Deployment" && item.metadata.name === "migrate"),
    ).toBeUndefined();
    expect(warningAt(warnings, "services.migrate")).toContain("runs once as a Job");
    expect(warningAt(warnings, "services.web.depends_on.migrate")).toContain("starts without waiting");
  });

  it("gives a service without ports a headless Service and waits for it by name, as compose reaches any port", () => {
    const { manifests, warnings } = translateFixture("depends-on");
    expect(manifest(manifests, "Service", "db").spec).toEqual({
      clusterIP: "None",
      selector: { "app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "run-abc12345" },
    });
    const waitForDb = manifest(manifests, "Deployment", "web").spec.template.spec.initContainers[0];
    expect(waitForDb.command[2]).toContain("until nslookup db.run-abc12345.svc.cluster.local");
    expect(warnings.find((warning) => warning.path === "services.web.depends_on.db")).toBeUndefined();
  });

  it("refuses a dependency cycle", () => {
    const error = composeError(() => translateFixture("depends-cycle"));
    expect(error.kind).toBe("refused");
    expect(error.message).toContain("dependencies form a cycle (a → b → a)");
  });

  it("refuses references to undeclared volumes, secrets and services, naming each", () => {
    const error = composeError(() => translateFixture("undeclared-references"));
    expect(problemAt(error, "services.web.volumes[0]")).toContain('volume "data" is not declared');
    expect(problemAt(error, "services.web.secrets[0]")).toContain('secret "token" is not declared');
    expect(problemAt(error, "services.web.depends_on.ghost")).toContain('there is no service "ghost"');
  });

  it("refuses a required dependency on a service whose profile is not enabled, and drops an optional one", () => {
    const error = composeError(() => translateFixture("profile-dependency"));
    expect(error.problems).toEqual([
      {
        file: "compose.yaml",
        path: "services.web.depends_on.db",
        message:
          '"db" is only in profile database: pass --profile database or mark the dependency required: false',
      },
    ]);
    const { manifests } = translateFixture("profile-dependency", { profiles: ["database"] });
    expect(
      manifest(manifests, "Deployment", "web").spec.template.spec.initContainers.map(
        (init: { name: string }) => init.name,
      ),
    ).toEqual(["wait-for-db"]);
  });
});
