import { afterAll, describe, expect, it } from "vitest";
import { translateCompose } from "../../../components/run/compose";
import { composeError, container, manifest, problemAt, warningAt } from "./fixtures";
import { removeTempDirs, tempDir } from "./temp-repo";

const translate = (dir: string) => translateCompose(dir, { runId: "abc12345" });
const BIG = Buffer.alloc(1_200_000, 0x61);

afterAll(removeTempDirs);

/** Binds compose would mount and a ConfigMap cannot hold as they are: a run goes on, saying what differs. */
describe("over-strict bind refusals become warnings that name what was left out or replaced", () => {
  it("gives a data folder under ~/ an empty PersistentVolumeClaim, shared by the services that bind it", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  db:\n    image: postgres:16\n    volumes:\n      - ~/pgdata/:/var/lib/postgresql/data\n  backup:\n    image: busybox\n    volumes:\n      - type: bind\n        source: ~/pgdata\n        target: /backup\n        read_only: true\n",
    });
    const { manifests, warnings } = translate(repo);
    const claims = manifests.filter((item) => item.kind === "PersistentVolumeClaim");
    expect(claims.map((claim) => claim.metadata.name)).toEqual(["home-pgdata"]);
    expect(warningAt(warnings, "services.db.volumes[0]")).toBe(
      '"~/pgdata/" is in the host\'s home directory, which a run cannot see: an empty volume (the PersistentVolumeClaim "home-pgdata") is mounted at /var/lib/postgresql/data instead',
    );
    expect(warningAt(warnings, "services.backup.volumes[0]")).toContain('"home-pgdata"');
    const db = manifest(manifests, "Deployment", "db").spec.template.spec;
    expect(db.volumes).toContainEqual({
      name: "volume-home-pgdata",
      persistentVolumeClaim: { claimName: "home-pgdata" },
    });
    expect(container(manifests, "Deployment", "backup").volumeMounts).toEqual([
      { name: "volume-home-pgdata", mountPath: "/backup", readOnly: true },
    ]);
  });

  it("refuses a home folder and a named volume that would be one claim, naming both", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  db:\n    image: postgres:16\n    volumes:\n      - ~/data:/a\n      - home-data:/b\nvolumes:\n  home-data: {}\n",
    });
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "volumes.home-data",
      ),
    ).toContain('"home-data" and "~/data" both become the PersistentVolumeClaim "home-data"');
  });

  it("mounts a static site with subfolders as one ConfigMap whose items put each file back at its path", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./site:/usr/share/nginx/html:ro\n",
      "site/index.html": "<h1>home</h1>\n",
      "site/css/site.css": "body {}\n",
      "site/img/icons/logo (1).svg": "<svg/>\n",
      "site/css_site.css": "clash {}\n",
    });
    const { manifests, warnings } = translate(repo);
    expect(warnings.filter((warning) => warning.path.startsWith("services.web.volumes"))).toEqual([]);
    const files = manifest(manifests, "ConfigMap", "web-files-0");
    const pod = manifest(manifests, "Deployment", "web").spec.template.spec;
    const items: Array<{ key: string; path: string }> = pod.volumes[0].configMap.items;
    // Every file is mounted at its own path, from a key that holds its content.
    expect(Object.fromEntries(items.map((item) => [item.path, files.data[item.key]]))).toEqual({
      "css/site.css": "body {}\n",
      "css_site.css": "clash {}\n",
      "img/icons/logo (1).svg": "<svg/>\n",
      "index.html": "<h1>home</h1>\n",
    });
    expect(new Set(items.map((item) => item.key)).size).toBe(items.length);
    for (const { key } of items) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
  });

  it("leaves an oversized file out of a bind-mounted folder and mounts the rest, naming it", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./site:/usr/share/nginx/html:ro\n",
      "site/index.html": "<h1>home</h1>\n",
      "site/media/intro.mp4": BIG,
    });
    const { manifests, warnings } = translate(repo);
    expect(warningAt(warnings, "services.web.volumes[0]")).toBe(
      '"./site/media/intro.mp4" left out of "./site": a file larger than the 1 MB a ConfigMap can hold cannot be mounted; the rest is mounted at /usr/share/nginx/html',
    );
    expect(Object.keys(manifest(manifests, "ConfigMap", "web-files-0").data)).toEqual(["index.html"]);
  });

  it("does not mount an oversized bind-mounted file, and says its path will not exist", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  log:\n    image: busybox\n    volumes:\n      - ./conf.txt:/etc/conf.txt:ro\n      - ./nginx.log:/home/nginx.log\n",
      "conf.txt": "a\n",
      "nginx.log": BIG,
    });
    const { manifests, warnings } = translate(repo);
    expect(warningAt(warnings, "services.log.volumes[1]")).toBe(
      '"./nginx.log" is not mounted: it is larger than the 1 MB a ConfigMap can hold, so /home/nginx.log does not exist in the container; COPY it into an image if the service needs it',
    );
    expect(container(manifests, "Deployment", "log").volumeMounts).toEqual([
      { name: "files-0", mountPath: "/etc/conf.txt", readOnly: true, subPath: "conf.txt" },
    ]);
  });

  it("still refuses a folder whose files together are more than a ConfigMap holds", () => {
    const repo = tempDir({
      "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./site:/srv:ro\n",
      "site/a/one.bin": Buffer.alloc(600_000),
      "site/b/two.bin": Buffer.alloc(600_000),
    });
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toBe(
      '"./site" is larger than the 1 MB a ConfigMap can hold: COPY it into an image, or mount the files it needs one by one',
    );
  });
});
