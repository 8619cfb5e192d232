import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildContextHash } from "../../../components/run/build-context-hash";
import { translateCompose } from "../../../components/run/compose";
import { detectMigrations } from "../../../components/run/source/migrations";
import {
  MAX_DIRECTORY_ENTRIES,
  MAX_TOTAL_BYTES,
  RepoFileRefusal,
  RepoFiles,
} from "../../../components/run/source/repo-files";
import { translateSource } from "../../../components/run/translate-source";
import { composeError, manifest, problemAt, warningAt } from "./fixtures";
import { removeTempDirs, symlink, tempDir, writeFile } from "./temp-repo";

/** A value only a host file holds: it must never reach a manifest or a message. */
const PLANTED = "planted-host-secret-5f3a9c";

const translate = (dir: string) => translateCompose(dir, { runId: "abc12345" });

/** A file outside every test repository, holding the planted value. */
function hostFile(name = "creds"): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, `PASSWORD=${PLANTED}\n`);
  return file;
}

/** Everything a translation attempt produced, as one string to search. */
function everything(attempt: () => unknown): string {
  try {
    return JSON.stringify(attempt());
  } catch (error) {
    return `${(error as Error).message}\n${JSON.stringify(error)}`;
  }
}

const BIND_CFG = "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./cfg:/etc/cfg:ro\n";

afterAll(removeTempDirs);

describe("repository files stay in their box: symlinks out of the checkout are refused", () => {
  it("refuses a bind-mounted directory whose entry links to a host file, and leaks nothing", () => {
    const repo = tempDir({ "compose.yaml": BIND_CFG, "cfg/app.conf": "listen 80;\n" });
    symlink(repo, "cfg/creds", hostFile());
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toBe(
      `binds "./cfg": "cfg/creds" is a symlink that leaves the repository: a run cannot see the host's files; use a named volume, or a path inside the repository`,
    );
    expect(everything(() => translate(repo))).not.toContain(PLANTED);
  });

  it("refuses a bind-mounted file that is itself a link to a host file, also on a built service", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  web:\n    build: .\n    volumes:\n      - ./creds:/run/creds:ro\n      - ./cfg:/etc/cfg\n",
      Dockerfile: "FROM nginx:1.27\n",
      "cfg/sub/x.conf": "x\n",
    });
    symlink(repo, "creds", hostFile());
    symlink(repo, "cfg/creds", hostFile());
    const error = composeError(() => translate(repo));
    expect(problemAt(error, "services.web.volumes[0]")).toContain(
      '"creds" is a symlink that leaves the repository',
    );
    // The directory has a subdirectory, so it is dropped (not read) on a built service: no refusal for it.
    expect(error.problems.map((problem) => problem.path)).toEqual(["services.web.volumes[0]"]);
    expect(everything(() => translate(repo))).not.toContain(PLANTED);
  });

  it("refuses a link to /dev/zero at once instead of reading it forever", () => {
    const repo = tempDir({ "compose.yaml": BIND_CFG, "cfg/app.conf": "listen 80;\n" });
    symlink(repo, "cfg/z", "/dev/zero");
    const started = Date.now();
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toContain('"cfg/z" is a symlink that leaves the repository');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses a FIFO in a bind-mounted directory without opening it", () => {
    const repo = tempDir({ "compose.yaml": BIND_CFG, "cfg/app.conf": "listen 80;\n" });
    execFileSync("mkfifo", [path.join(repo, "cfg", "pipe")]);
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toContain('"cfg/pipe" is a FIFO, not a regular file or directory');
  });

  it("refuses a FIFO given as an env_file, a config file or a Dockerfile, each at its key", () => {
    const repo = tempDir({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx:1.27",
        "    env_file: pipe",
        "    configs: [site]",
        "  app:",
        "    build: {context: ., dockerfile: pipe}",
        "configs:",
        "  site:",
        "    file: ./pipe",
        "",
      ].join("\n"),
    });
    execFileSync("mkfifo", [path.join(repo, "pipe")]);
    const error = composeError(() => translate(repo));
    const fifo =
      '"pipe" is a FIFO, not a regular file or directory: a run reads only regular files inside the repository';
    expect(problemAt(error, "services.web.env_file")).toBe(fifo);
    expect(problemAt(error, "configs.site.file")).toBe(fifo);
    expect(problemAt(error, "services.app.build.dockerfile")).toBe(fifo);
  });

  it("refuses a .env that links to a host file, so ${VAR} cannot carry the host's value into a pod", () => {
    const repo = tempDir({
      "compose.yaml":
        "services:\n  web:\n    image: nginx:1.27\n    environment:\n      DB_PASSWORD: ${PASSWORD}\n",
    });
    symlink(repo, ".env", hostFile());
    const error = composeError(() => translate(repo));
    expect(error.kind).toBe("refused");
    expect(problemAt(error, ".env")).toBe(
      "is a symlink that leaves the repository: a run reads only regular files inside the repository",
    );
    expect(everything(() => translate(repo))).not.toContain(PLANTED);
  });

  it("refuses an env_file, a label_file and a secret file that link to host files", () => {
    const repo = tempDir({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx:1.27",
        "    env_file: [app.env]",
        "    label_file: labels",
        "    secrets: [token]",
        "secrets:",
        "  token:",
        "    file: ./token",
        "",
      ].join("\n"),
    });
    for (const name of ["app.env", "labels", "token"]) symlink(repo, name, hostFile());
    const error = composeError(() => translate(repo));
    expect(problemAt(error, "services.web.env_file[0]")).toContain(
      '"app.env" is a symlink that leaves the repository',
    );
    expect(problemAt(error, "services.web.label_file")).toContain(
      '"labels" is a symlink that leaves the repository',
    );
    expect(problemAt(error, "secrets.token.file")).toContain(
      '"token" is a symlink that leaves the repository',
    );
    expect(everything(() => translate(repo))).not.toContain(PLANTED);
  });

  it("refuses a compose file that is itself a link out of the repository", () => {
    const outside = tempDir({ "compose.yaml": `services:\n  web:\n    image: ${PLANTED}\n` });
    const repo = tempDir();
    symlink(repo, "compose.yaml", path.join(outside, "compose.yaml"));
    const error = composeError(() => translate(repo));
    expect(error.kind).toBe("refused");
    expect(problemAt(error, "compose.yaml")).toBe(
      "is a symlink that leaves the repository: a run reads only regular files inside the repository",
    );
    expect(everything(() => translate(repo))).not.toContain(PLANTED);
    // The run's own path, through source detection, refuses it the same way rather than passing it over.
    expect(everything(() => translateSource(repo, { runId: "abc12345", mode: "auto" }))).toContain(
      "compose.yaml: is a symlink that leaves the repository",
    );
  });

  it("refuses a lone Dockerfile, a build's Dockerfile and an extends file that link out of the repository", () => {
    const outside = tempDir({ Dockerfile: `FROM ${PLANTED}\nEXPOSE 80\n`, "base.yaml": "services: {}\n" });
    const lone = tempDir();
    symlink(lone, "Dockerfile", path.join(outside, "Dockerfile"));
    expect(
      problemAt(
        composeError(() => translateSource(lone, { runId: "abc12345", mode: "auto" })),
        "Dockerfile",
      ),
    ).toBe("is a symlink that leaves the repository: a run reads only regular files inside the repository");
    const built = tempDir({
      "compose.yaml":
        "services:\n  web:\n    build: .\n  other:\n    extends: {file: base.yaml, service: web}\n",
    });
    symlink(built, "Dockerfile", path.join(outside, "Dockerfile"));
    symlink(built, "base.yaml", path.join(outside, "base.yaml"));
    const error = composeError(() => translate(built));
    expect(problemAt(error, "services.web.build.dockerfile")).toContain(
      '"Dockerfile" is a symlink that leaves the repository',
    );
    expect(problemAt(error, "services.other.extends.file")).toContain(
      '"base.yaml" is a symlink that leaves the repository',
    );
  });

  it("still follows symlinks that stay inside the repository", () => {
    const repo = tempDir({
      "deploy/compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx:${TAG}",
        "    volumes:",
        "      - ./cfg:/etc/cfg:ro",
        "      - ./main.conf:/etc/main.conf:ro",
        "",
      ].join("\n"),
      "deploy/env": "TAG=1.27\n",
      "shared/app.conf": "listen 80;\n",
    });
    symlink(repo, "compose.yaml", "deploy/compose.yaml");
    symlink(repo, ".env", path.join(repo, "deploy/env")); // absolute, but inside the checkout
    symlink(repo, "cfg/app.conf", "../shared/app.conf");
    symlink(repo, "main.conf", "shared/app.conf");
    const { manifests } = translate(repo);
    expect(manifest(manifests, "Deployment", "web").spec.template.spec.containers[0].image).toBe(
      "nginx:1.27",
    );
    expect(manifest(manifests, "ConfigMap", "web-files-0").data).toEqual({ "app.conf": "listen 80;\n" });
    // A linked file keeps the name it was bound by.
    expect(manifest(manifests, "ConfigMap", "web-files-1").data).toEqual({ "main.conf": "listen 80;\n" });
  });

  it("refuses a symlink loop and a link whose .. climbs out, naming the link", () => {
    const repo = tempDir({ "compose.yaml": BIND_CFG.replace("./cfg", "./loop") + "      - ./up:/up\n" });
    symlink(repo, "loop", "loop");
    symlink(repo, "up", "sub/../../..");
    const error = composeError(() => translate(repo));
    expect(problemAt(error, "services.web.volumes[0]")).toContain('"loop" is a symlink loop');
    expect(problemAt(error, "services.web.volumes[1]")).toContain(
      '"up" is a symlink that leaves the repository',
    );
  });
});

describe("repository reads are capped", () => {
  it("refuses a bind-mounted directory with too many files, and drops it with a warning on a built service", () => {
    const files: Record<string, string> = { "compose.yaml": BIND_CFG, Dockerfile: "FROM nginx\n" };
    for (let i = 0; i <= MAX_DIRECTORY_ENTRIES; i++) files[`cfg/f${i}.conf`] = "x";
    const repo = tempDir(files);
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toBe(
      `"./cfg" has more than ${MAX_DIRECTORY_ENTRIES} entries: COPY it into an image, or mount the files it needs one by one`,
    );
    writeFile(repo, "compose.yaml", BIND_CFG.replace("image: nginx:1.27", "build: ."));
    expect(warningAt(translate(repo).warnings, "services.web.volumes[0]")).toContain(
      `has more than ${MAX_DIRECTORY_ENTRIES} entries, so it is not mounted`,
    );
  });

  it("refuses a bind-mounted directory larger than a ConfigMap holds, reading no more than that", () => {
    const repo = tempDir({
      "compose.yaml": BIND_CFG,
      "cfg/a.bin": Buffer.alloc(600_000),
      "cfg/b.bin": Buffer.alloc(600_000),
    });
    expect(
      problemAt(
        composeError(() => translate(repo)),
        "services.web.volumes[0]",
      ),
    ).toBe(
      '"./cfg" is larger than the 1 MB a ConfigMap can hold: COPY it into an image, or mount the files it needs one by one',
    );
  });

  it("refuses a .env or a compose file over 1 MiB", () => {
    const big = `# ${"x".repeat(1024 * 1024)}\n`;
    const repo = tempDir({ "compose.yaml": "services:\n  web:\n    image: nginx\n", ".env": big });
    expect(
      problemAt(
        composeError(() => translate(repo)),
        ".env",
      ),
    ).toContain("is larger than the 1 MiB read of such a file");
    const huge = tempDir({ "compose.yaml": `services:\n  web:\n    image: nginx\n${big}` });
    expect(
      problemAt(
        composeError(() => translate(huge)),
        "compose.yaml",
      ),
    ).toContain("is larger than the 1 MiB read of such a file");
  });

  it(`stops reading a repository at ${MAX_TOTAL_BYTES / 1024 / 1024} MiB altogether`, () => {
    const count = Math.ceil(MAX_TOTAL_BYTES / 900_000) + 1;
    const files: Record<string, string | Buffer> = {};
    const lines = ["services:", "  web:", "    image: nginx", "    configs:"];
    const definitions = ["configs:"];
    for (let i = 0; i < count; i++) {
      files[`c${i}`] = Buffer.alloc(900_000);
      lines.push(`      - c${i}`);
      definitions.push(`  c${i}:`, `    file: ./c${i}`);
    }
    files["compose.yaml"] = [...lines, ...definitions, ""].join("\n");
    const error = composeError(() => translate(tempDir(files)));
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems[0]!.message).toContain(
      `does not fit in what is left of the ${MAX_TOTAL_BYTES / 1024 / 1024} MiB a run reads from a repository`,
    );
  });
});

describe("RepoFiles", () => {
  it("never opens what is not a regular file, even when asked for it directly", () => {
    const repo = tempDir();
    execFileSync("mkfifo", [path.join(repo, "pipe")]);
    const files = new RepoFiles(repo);
    expect(files.resolve(".", "pipe")).toEqual(
      new RepoFileRefusal("pipe", "is a FIFO, not a regular file or directory"),
    );
    const forged = { relative: "pipe", absolute: path.join(repo, "pipe"), kind: "file" as const };
    expect((files.read(forged) as RepoFileRefusal).reason).toBe("is a FIFO, not a regular file or directory");
  });

  it("refuses written paths that are URLs, absolute, in the home directory or climb out", () => {
    const files = new RepoFiles(tempDir());
    expect((files.resolve(".", "https://example.com/x") as RepoFileRefusal).reason).toBe("is a URL");
    expect((files.resolve(".", "/etc/passwd") as RepoFileRefusal).reason).toBe("is absolute");
    expect((files.resolve(".", "~/.ssh/id_rsa") as RepoFileRefusal).reason).toBe("is in the home directory");
    expect((files.resolve("sub", "../../x") as RepoFileRefusal).reason).toBe("leaves the repository");
    expect(files.resolve("sub", "../x")).toMatchObject({ relative: "x", kind: "missing" });
  });

  it("hashes a build context holding a FIFO and links to /dev/zero and a host file without reading them", () => {
    const repo = tempDir({ "app.txt": "v1" });
    execFileSync("mkfifo", [path.join(repo, "pipe")]);
    symlink(repo, "zero", "/dev/zero");
    symlink(repo, "creds", hostFile());
    const started = Date.now();
    const hash = buildContextHash({ contextDir: repo, dockerfile: "FROM busybox", args: {} });
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("passes over a project file that links to /dev/zero when looking for migrations", () => {
    const repo = tempDir({ "alembic.ini": "[alembic]\n" });
    symlink(repo, "Api.csproj", "/dev/zero");
    const started = Date.now();
    expect(detectMigrations(repo).map((migration) => migration.tool)).toEqual(["alembic"]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("commands that cannot be split into words", () => {
  it("refuses an unclosed quote in post_start, naming the compose file, the service and the key", () => {
    const repo = tempDir({
      "docker-compose.yml": `services:\n  web:\n    image: nginx\n    post_start:\n      - command: "echo 'unclosed"\n`,
    });
    const error = composeError(() => translate(repo));
    expect(error.problems).toEqual([
      {
        file: "docker-compose.yml",
        path: "services.web.post_start[0].command",
        message: "unterminated ' quote: close the quote",
      },
    ]);
    expect(error.message).toContain(
      "docker-compose.yml: services.web.post_start[0].command: unterminated ' quote",
    );
  });

  it("refuses an unclosed quote in pre_stop, command and entrypoint at each key", () => {
    const repo = tempDir({
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx",
        `    command: 'echo "open'`,
        `    entrypoint: "sh -c 'x"`,
        "    pre_stop:",
        "      - command: ok",
        `      - command: 'say "bye'`,
        "",
      ].join("\n"),
    });
    const error = composeError(() => translate(repo));
    expect(error.problems.map((problem) => `${problem.path}: ${problem.message}`).sort()).toEqual([
      'services.web.command: unterminated " quote: close the quote',
      "services.web.entrypoint: unterminated ' quote: close the quote",
      'services.web.pre_stop[1].command: unterminated " quote: close the quote',
    ]);
  });
});
