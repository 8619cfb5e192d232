import { describe, expect, it } from "vitest";
import { container, manifest, translateFixture, warningAt } from "./fixtures";

describe("compose volumes, tmpfs, configs and secrets → claims, emptyDirs, ConfigMaps and Secrets", () => {
  it("turns a named volume into one PersistentVolumeClaim mounted by every service that uses it", () => {
    const { manifests } = translateFixture("volumes-named", { volumeSize: "2Gi" });
    const claim = manifest(manifests, "PersistentVolumeClaim", "dbdata");
    expect(claim.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "2Gi" } },
    });
    expect(claim.metadata.annotations).toEqual({ "com.example.purpose": "database" });
    expect(claim.metadata.labels["reporunner.dev/run-id"]).toBe("abc12345");
    expect(manifests.filter((item) => item.kind === "PersistentVolumeClaim")).toHaveLength(1);

    const db = manifest(manifests, "Deployment", "db");
    expect(db.spec.strategy).toEqual({ type: "Recreate" });
    expect(db.spec.template.spec.volumes).toEqual([
      { name: "volume-dbdata", persistentVolumeClaim: { claimName: "dbdata" } },
      { name: "empty-1", emptyDir: {} },
    ]);
    expect(db.spec.template.spec.containers[0].volumeMounts).toEqual([
      { name: "volume-dbdata", mountPath: "/var/lib/postgresql/data" },
      { name: "empty-1", mountPath: "/var/cache/anonymous" },
    ]);
    expect(container(manifests, "Deployment", "reader").volumeMounts).toEqual([
      { name: "volume-dbdata", mountPath: "/data", readOnly: true, subPath: "reports" },
    ]);
  });

  it("fills an anonymous volume with the image's files at its path, as compose fills a new volume", () => {
    const { manifests } = translateFixture("volumes-named");
    const db = manifest(manifests, "Deployment", "db").spec.template.spec;
    expect(db.initContainers).toEqual([
      {
        name: "seed-1",
        image: "postgres:16",
        imagePullPolicy: "IfNotPresent",
        command: [
          "sh",
          "-c",
          'if [ -d "$1" ]; then cp -a "$1/." /reporunner-seed/; fi',
          "seed",
          "/var/cache/anonymous",
        ],
        volumeMounts: [{ name: "empty-1", mountPath: "/reporunner-seed" }],
        securityContext: db.containers[0].securityContext,
      },
    ]);
  });

  it("turns tmpfs, long-syntax tmpfs volumes and shm_size into memory-backed emptyDirs with size limits", () => {
    const { manifests } = translateFixture("tmpfs");
    const pod = manifest(manifests, "Deployment", "app").spec.template.spec;
    // tmpfs starts empty under compose too: nothing is copied into it.
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes).toEqual([
      { name: "empty-0", emptyDir: { medium: "Memory", sizeLimit: "10Mi" } },
      { name: "empty-1", emptyDir: { medium: "Memory" } },
      { name: "empty-2", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      { name: "empty-3", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
    ]);
    expect(pod.containers[0].volumeMounts.map((mount: { mountPath: string }) => mount.mountPath)).toEqual([
      "/cache",
      "/run",
      "/tmp",
      "/dev/shm",
    ]);
  });

  it("mounts a bind-mounted repository file and a flat directory from ConfigMaps, read-only", () => {
    const { manifests, warnings } = translateFixture("bind-repo-files");
    const file = manifest(manifests, "ConfigMap", "proxy-files-0");
    expect(file.data).toEqual({ "nginx.conf": "events {}\nhttp { include /etc/nginx/conf.d/*.conf; }\n" });
    expect(file.metadata.annotations).toEqual({ "reporunner.dev/source": "nginx/nginx.conf" });
    const directory = manifest(manifests, "ConfigMap", "proxy-files-1");
    expect(Object.keys(directory.data).sort()).toEqual(["default.conf", "gzip.conf"]);
    expect(container(manifests, "Deployment", "proxy").volumeMounts).toEqual([
      { name: "files-0", mountPath: "/etc/nginx/nginx.conf", readOnly: true, subPath: "nginx.conf" },
      { name: "files-1", mountPath: "/etc/nginx/conf.d", readOnly: true },
      { name: "empty-2", mountPath: "/var/empty" },
    ]);
    expect(warningAt(warnings, "services.proxy.volumes[1]")).toContain("read-only from a ConfigMap");
    expect(warningAt(warnings, "services.proxy.volumes[2]")).toContain("does not exist in the repository");
    expect(warnings.find((warning) => warning.path === "services.proxy.volumes[0]")).toBeUndefined();
  });

  it("drops a source-code overlay bind on a built service with a warning instead of refusing it", () => {
    const { manifests, warnings } = translateFixture("bind-source-overlay");
    expect(container(manifests, "Deployment", "app").volumeMounts).toBeUndefined();
    expect(warningAt(warnings, "services.app.volumes[0]")).toContain("no live reload");
  });

  it("turns file, environment and inline configs and secrets into ConfigMaps and Secrets mounted where compose puts them", () => {
    const { manifests } = translateFixture("secrets-configs", { environment: { API_KEY: "k-123" } });
    expect(manifest(manifests, "Secret", "secret-db-password").data).toEqual({
      db_password: Buffer.from("s3cret\n").toString("base64"),
    });
    expect(manifest(manifests, "Secret", "secret-api-key").data).toEqual({
      api_key: Buffer.from("k-123").toString("base64"),
    });
    expect(manifest(manifests, "ConfigMap", "config-app-config").data).toEqual({
      app_config: "[server]\nport = 8080\n",
    });
    expect(manifest(manifests, "ConfigMap", "config-inline-config").data).toEqual({
      inline_config: 'mode = "demo"\n',
    });
    const app = manifest(manifests, "Deployment", "app").spec.template.spec;
    expect(app.containers[0].volumeMounts).toEqual([
      { name: "config-0-app-config", mountPath: "/app_config", subPath: "app_config", readOnly: true },
      {
        name: "config-1-inline-config",
        mountPath: "/etc/app/inline.conf",
        subPath: "inline_config",
        readOnly: true,
      },
      {
        name: "secret-2-db-password",
        mountPath: "/run/secrets/db_password",
        subPath: "db_password",
        readOnly: true,
      },
      { name: "secret-3-api-key", mountPath: "/run/secrets/api.key", subPath: "api_key", readOnly: true },
    ]);
    expect(app.volumes).toContainEqual({
      name: "secret-3-api-key",
      secret: { secretName: "secret-api-key", items: [{ key: "api_key", path: "api_key", mode: 0o400 }] },
    });
  });

  it("refuses a secret taken from a variable the run does not set", () => {
    expect(() => translateFixture("secrets-configs")).toThrow(
      /secrets\.api_key: variable API_KEY is not set/,
    );
  });
});
