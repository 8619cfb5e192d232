import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { translateCompose } from "../../../components/run/compose";
import {
  LOCAL_IMAGE_LOADED,
  LOCAL_IMAGE_MISSING,
  localImageScript,
  pulledImages,
} from "../../../components/run/local-images";
import { removeTempDirs, tempDir } from "../compose/temp-repo";

afterAll(removeTempDirs);

const COMPOSE = `services:
  web:
    image: busybox
    depends_on: [db]
  db:
    image: postgres:16
    volumes: [/var/cache/seeded]
  api:
    build: .
`;

describe("images a run pulls, loaded from the local Docker engine first", () => {
  it("lists each image service, the busybox of the depends_on waits and seed containers once, never a built image", () => {
    const repo = tempDir({ "compose.yaml": COMPOSE, Dockerfile: "FROM busybox\n" });
    const { manifests } = translateCompose(repo, {
      runId: "abc12345",
      imageFor: (service) => `reporunner/${service}:0123456789abcdef`,
    });
    expect(pulledImages(manifests, new Set(["reporunner/api:0123456789abcdef"]))).toEqual([
      "busybox",
      "busybox:latest",
      "postgres:16",
    ]);
  });

  it("pulls an image only when the node lacks it, as compose pulls only a missing one, unless pull_policy says so", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  web:\n    image: busybox\n  fresh:\n    image: busybox\n    pull_policy: always\n",
    });
    const { manifests } = translateCompose(repo, { runId: "abc12345" });
    const policy = (name: string) =>
      (manifests.find((m) => m.kind === "Deployment" && m.metadata.name === name) as any).spec.template.spec
        .containers[0].imagePullPolicy;
    expect(policy("web")).toBe("IfNotPresent");
    expect(policy("fresh")).toBe("Always");
  });

  it("loads an image the local engine has and leaves a missing one to the cluster (script run with stand-in docker and ctr)", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-fake-bin-"));
    const log = path.join(bin, "calls.log");
    // Stand-ins on PATH record their calls: docker knows only "busybox:latest"; ctr lists nothing.
    fs.writeFileSync(
      path.join(bin, "docker"),
      `#!/bin/sh\necho "docker $*" >> ${log}\n[ "$1 $2" = "image inspect" ] && { [ "$3" = "busybox:latest" ]; exit $?; }\n[ "$1" = save ] && echo archive\nexit 0\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, "ctr"), `#!/bin/sh\necho "ctr $*" >> ${log}\ncat >/dev/null\nexit 0\n`, {
      mode: 0o755,
    });
    const loader = { method: "containerd-import", containerdAddress: "/run/c.sock" } as const;
    const run = (image: string) =>
      execFileSync("sh", ["-c", localImageScript(image, loader)], {
        encoding: "utf8",
        env: { PATH: `${bin}:/usr/bin:/bin` },
      });
    try {
      expect(run("busybox:latest")).toContain(`image busybox:latest: ${LOCAL_IMAGE_LOADED}`);
      expect(fs.readFileSync(log, "utf8")).toContain("docker save busybox:latest");
      fs.rmSync(log);
      expect(run("postgres:16")).toContain(`image postgres:16: ${LOCAL_IMAGE_MISSING}`);
      expect(fs.readFileSync(log, "utf8")).not.toMatch(/docker save|ctr .* import/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
