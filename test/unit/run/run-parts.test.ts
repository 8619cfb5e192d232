import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { containerdName, imageLoadCommand } from "../../../components/cluster/image-loader";
import { buildContextHash } from "../../../components/run/build-context-hash";
import { exposedPorts } from "../../../components/run/dockerfile";
import { buildAndLoadScript } from "../../../components/run/image-commands";
import { failureReason } from "../../../automation/engine/failure-reason";

describe("exposedPorts", () => {
  it("reads every EXPOSE of the final stage, with protocols", () => {
    const dockerfile =
      "FROM node AS build\nEXPOSE 9999\nFROM busybox\nEXPOSE 80 8443/tcp\nexpose 53/udp \\\n  7000\n";
    expect(exposedPorts(dockerfile)).toEqual([
      { port: 80, protocol: "tcp" },
      { port: 8443, protocol: "tcp" },
      { port: 53, protocol: "udp" },
      { port: 7000, protocol: "tcp" },
    ]);
  });

  it("skips ports only known at build time", () => {
    expect(exposedPorts("FROM x\nEXPOSE $PORT ${OTHER}\n")).toEqual([]);
  });
});

describe("buildContextHash", () => {
  const context = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-ctx-"));
    fs.writeFileSync(path.join(dir, "app.txt"), "v1");
    fs.mkdirSync(path.join(dir, ".git"));
    fs.writeFileSync(path.join(dir, ".git", "HEAD"), "ref: main");
    return dir;
  };
  const inputs = (dir: string) => ({ contextDir: dir, dockerfile: "FROM busybox", args: {} });

  it("changes with a file's content but not with .git", () => {
    const dir = context();
    const before = buildContextHash(inputs(dir));
    fs.writeFileSync(path.join(dir, ".git", "HEAD"), "ref: other");
    expect(buildContextHash(inputs(dir))).toBe(before);
    fs.writeFileSync(path.join(dir, "app.txt"), "v2");
    expect(buildContextHash(inputs(dir))).not.toBe(before);
  });

  it("changes with the Dockerfile, build args and target", () => {
    const dir = context();
    const base = buildContextHash(inputs(dir));
    expect(buildContextHash({ ...inputs(dir), dockerfile: "FROM alpine" })).not.toBe(base);
    expect(buildContextHash({ ...inputs(dir), args: { A: "1" } })).not.toBe(base);
    expect(buildContextHash({ ...inputs(dir), target: "prod" })).not.toBe(base);
  });

  it("refuses a context over the size limit", () => {
    expect(() => buildContextHash(inputs(context()), 1)).toThrow(/larger than 1 bytes/);
  });
});

describe("moving images into the cluster", () => {
  it("names images the way containerd stores them", () => {
    expect(containerdName("busybox")).toBe("docker.io/library/busybox:latest");
    expect(containerdName("reporunner/app:abc")).toBe("docker.io/reporunner/app:abc");
    expect(containerdName("127.0.0.1:5000/reporunner/app:abc")).toBe("127.0.0.1:5000/reporunner/app:abc");
  });

  it("uses each cluster's own loader", () => {
    expect(imageLoadCommand({ method: "kind-load", clusterName: "rr" }, "a:1")).toBe(
      "kind load docker-image a:1 --name rr",
    );
    expect(imageLoadCommand({ method: "k3d-import", clusterName: "rr" }, "a:1")).toBe(
      "k3d image import a:1 --cluster rr",
    );
    expect(imageLoadCommand({ method: "registry", registry: "r:5000" }, "r:5000/a:1")).toBe(
      "docker push r:5000/a:1",
    );
  });

  it("skips the build when the engine has the image, and quotes what comes from the repository", () => {
    const script = buildAndLoadScript(
      {
        service: "web",
        contextDir: "/src/it's here",
        dockerfilePath: "/src/it's here/Dockerfile",
        args: { GREETING: "hello world" },
        target: "prod",
        imageRef: "reporunner/web:0123",
      },
      { method: "none" },
    );
    expect(script).toContain("if docker image inspect reporunner/web:0123 >/dev/null 2>&1; then");
    expect(script).toContain('export GREETING="$RR_BUILD_ARG_GREETING"');
    expect(script).toContain("--build-arg GREETING --target prod --file '/src/it'\\''s here/Dockerfile'");
    expect(script).not.toContain("hello world");
  });

  it("passes a build argument the docker CLI reads itself on the command line, from its variable", () => {
    const script = buildAndLoadScript(
      {
        service: "web",
        contextDir: "/src",
        dockerfilePath: "/src/Dockerfile",
        args: { DOCKER_HOST: "tcp://elsewhere:2375", HTTP_PROXY: "http://proxy:3128" },
        imageRef: "reporunner/web:0123",
      },
      { method: "none" },
    );
    expect(script).toContain(
      '--build-arg "DOCKER_HOST=$RR_BUILD_ARG_DOCKER_HOST" --build-arg "HTTP_PROXY=$RR_BUILD_ARG_HTTP_PROXY"',
    );
    expect(script).not.toMatch(/export (DOCKER_HOST|HTTP_PROXY)/);
    expect(script).not.toContain("elsewhere");
  });

  it("refuses a build argument whose name is no variable name", () => {
    expect(() =>
      buildAndLoadScript(
        { service: "web", contextDir: "/src", args: { "A-B": "x" }, imageRef: "reporunner/web:0123" },
        { method: "none" },
      ),
    ).toThrow(/"A-B" is not a variable name/);
  });
});

describe("failureReason", () => {
  it("keeps the last lines of a failed build and names the service", () => {
    const { kind, reason } = failureReason([
      "error: running \"set -eu ...\" failed\nurn:pulumi:run-x::reporunner::command:local:Command::run-x-image-web\nStep 2/3 : RUN make\n/bin/sh: make: not found\nThe command '/bin/sh -c make' returned a non-zero code: 127",
    ]);
    expect(kind).toBe("build");
    expect(reason).toContain('the image of service "web" did not build');
    expect(reason).toContain("make: not found");
  });

  it("names an exceeded quota", () => {
    const { kind, reason } = failureReason([
      'pods "x" is forbidden: exceeded quota: run-quota, requested: limits.memory=16Gi, used: limits.memory=0, limited: limits.memory=8Gi',
    ]);
    expect(kind).toBe("quota");
    expect(reason).toContain("requested: limits.memory=16Gi");
  });

  it("names a crash loop", () => {
    expect(
      failureReason([
        "Deployment not ready: [Pod run-x/web-1: containers with unready status: [web] -- back-off restarting failed container (CrashLoopBackOff)]",
      ]).reason,
    ).toMatch(/keeps crashing/);
  });
});
