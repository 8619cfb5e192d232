import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ComposeError, translateCompose } from "../../../components/run/compose";
import { SERVICE_KEY_POLICY } from "../../../components/run/compose/key-policy";
import { removeTempDirs, symlink, tempDir } from "./temp-repo";

/**
 * Property-based tests of the translator's public entry point on generated compose files: known
 * keys with good, odd and wrongly typed values, unknown keys, and paths into, out of and around the
 * repository. Whatever the file, translation ends in manifests (perhaps with warnings) or in a
 * ComposeError whose every problem names a key; no other exception escapes, and nothing read
 * outside the repository shows up in the result.
 */

/** Fixed, so a failure repeats; FUZZ_SEED and FUZZ_RUNS explore further by hand. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const PLANTED = "planted-host-value-8d1e";

/** One repository for every case: the compose file changes, the files around it do not. */
function fuzzRepo(): string {
  const outside = tempDir({ secret: `KEY=${PLANTED}\n` });
  const repo = tempDir({
    Dockerfile: "FROM busybox\nEXPOSE 8080\n",
    "app.env": "A=1\nB='two words'\nC\n",
    "cfg/a.conf": "a\n",
    "cfg/b.conf": "b\n",
    "deep/sub/x.txt": "x\n",
    "secret.txt": "s3cret\n",
    "base.yaml": "services:\n  base:\n    image: busybox\n    environment: [FROM_BASE=1]\n",
    ".env": "TAG=1.0\nEMPTY=\n",
  });
  symlink(repo, "out", path.join(outside, "secret"));
  symlink(repo, "outdir", outside);
  symlink(repo, "inside.conf", "cfg/a.conf");
  symlink(repo, "zero", "/dev/zero");
  execFileSync("mkfifo", [path.join(repo, "pipe")]);
  return repo;
}

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);

/** A mapping with a few of `fields` (none to six), each with a generated value. */
function someOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([key, value]) => value.map((v) => [key, v] as const));
  return fc.array(fc.oneof(...entries), { maxLength: 6 }).map((pairs) => Object.fromEntries(pairs));
}

/**
 * Generated compose documents. Each service and the file itself hold a few keys of many; `wild`
 * documents also put values of any type anywhere and unknown keys in, so most stop at the schema,
 * while the others mostly reach the translator itself.
 */
function composeDocuments(wild: boolean): fc.Arbitrary<Record<string, unknown>> {
  /** Mostly a value of the right shape; in wild documents, sometimes anything at all. */
  const orAnything = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    wild ? fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: anyValue }) : arbitrary;

  const repoPath = fc.constantFrom(
    ".",
    "./cfg",
    "./cfg/a.conf",
    "./deep",
    "./missing",
    "./out",
    "./outdir",
    "./inside.conf",
    "./zero",
    "./pipe",
    "../",
    "/etc",
    "~/x",
    "https://example.com/repo.git",
    "./app.env",
    "/var/run/docker.sock",
  );

  const commandText = fc.oneof(
    fc.constantFrom(
      "echo hi",
      `echo "a b"`,
      "echo 'unclosed",
      'say "open',
      "a\\ b",
      "",
      "  ",
      "${TAG}",
      "$$HOME",
    ),
    fc.string({ maxLength: 16 }),
  );
  const command = fc.oneof(commandText, fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));

  /** A free-form string beside the interesting ones, in wild documents. */
  const orText = (arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    wild
      ? fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: fc.string({ maxLength: 24 }) })
      : arbitrary;

  const port = fc.oneof(
    joined("80", "8080", "0", "65536", "-", ":", "/", "tcp", "udp", "127.0.0.1", "[::1]", "", "1e3", " "),
    fc.constantFrom(
      "80",
      "8080:80",
      "127.0.0.1:8080:80",
      "53:53/udp",
      "3000-3002:3000-3002",
      "abc",
      "99999",
      "0",
    ),
    fc.integer({ min: -5, max: 70_000 }),
    fc.record(
      {
        target: orAnything(fc.integer({ min: 0, max: 70_000 })),
        published: orAnything(fc.constantFrom("8080", 80, "x")),
        protocol: fc.constantFrom("tcp", "udp", "sctp"),
        mode: fc.constantFrom("host", "ingress"),
      },
      { requiredKeys: [] },
    ),
  );

  const volume = fc.oneof(
    orText(joined("./cfg", ".", ":", "/x", "ro", ",", "rw", "..", "/", "~", "data", "z", "a.conf")),
    fc
      .tuple(
        repoPath,
        fc.constantFrom("/data", "/etc/cfg", "", "relative"),
        fc.constantFrom("", ":ro", ":rw", ":z"),
      )
      .map(([source, target, mode]) => `${source}:${target}${mode}`),
    fc.constantFrom("data:/data", "undeclared:/x", "/anonymous", "a:b:c:d"),
    fc.record(
      {
        type: fc.constantFrom("bind", "volume", "tmpfs", "npipe", "cluster"),
        source: fc.oneof(repoPath, fc.constant("data")),
        target: fc.constantFrom("/data", ""),
        read_only: orAnything(fc.boolean()),
        tmpfs: fc.record({ size: orAnything(fc.constantFrom("64m", 1024, "lots")) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  );

  const environment = fc.oneof(
    fc.dictionary(
      fc.constantFrom("A", "B", "PATH", "EMPTY", "X-Y", "1BAD", ...(wild ? [""] : [])),
      fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 4 },
    ),
    fc.uniqueArray(fc.constantFrom("A=1", "B", "C=", "=x", "TAG=${TAG}", "M=${MISSING:-def}"), {
      maxLength: 4,
    }),
  );

  const serviceNames = wild
    ? fc.oneof(
        fc.constantFrom("web", "db", "__proto__", "constructor", "toString", "-x-", "ünï", "x".repeat(70)),
        fc.string({ maxLength: 10 }),
      )
    : fc.constantFrom("web", "db", "worker", "Web_App", "a.b", "x".repeat(70), "base");

  const service = someOf({
    image: orAnything(fc.constantFrom("nginx:1.27", "redis", "", "${TAG}", "img:${MISSING:?set it}")),
    build: orAnything(
      fc.oneof(
        repoPath,
        fc.record(
          {
            context: repoPath,
            dockerfile: fc.constantFrom("Dockerfile", "missing", "/etc/passwd", "../out", "pipe"),
            dockerfile_inline: fc.constant("FROM busybox"),
            args: environment,
            privileged: fc.boolean(),
            network: fc.constantFrom("host", "default"),
            ssh: fc.constant(["default"]),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    command: orAnything(command),
    entrypoint: orAnything(command),
    ports: orAnything(fc.array(port, { maxLength: 3 })),
    expose: orAnything(
      fc.array(fc.oneof(fc.constantFrom("80", "1000-1002", "x"), fc.integer()), { maxLength: 2 }),
    ),
    environment: orAnything(environment),
    env_file: orAnything(
      fc.oneof(
        fc.constantFrom("app.env", "missing.env", "out", "pipe", "zero", "cfg"),
        fc.array(
          fc.oneof(
            fc.constantFrom("app.env", "out"),
            fc.record({ path: fc.constantFrom("app.env", "missing.env"), required: fc.boolean() }),
          ),
          { maxLength: 2 },
        ),
      ),
    ),
    label_file: orAnything(fc.constantFrom("app.env", "out", "missing")),
    volumes: orAnything(fc.array(volume, { maxLength: 3 })),
    tmpfs: orAnything(fc.constantFrom("/tmp", "/run:size=64m", "/x:size=lots")),
    shm_size: orAnything(fc.constantFrom("64m", "1g", "x", 1024)),
    depends_on: orAnything(
      fc.oneof(
        fc.array(serviceNames, { maxLength: 3 }),
        fc.dictionary(
          serviceNames,
          fc.record(
            {
              condition: fc.constantFrom(
                "service_started",
                "service_healthy",
                "service_completed_successfully",
                "bad",
              ),
              required: fc.boolean(),
            },
            { requiredKeys: [] },
          ),
          { maxKeys: 2 },
        ),
      ),
    ),
    healthcheck: orAnything(
      fc.record(
        {
          test: orAnything(
            fc.oneof(
              commandText,
              fc.constantFrom(["CMD", "true"], ["CMD-SHELL", "exit 0"], ["NONE"], ["BAD"], ["CMD"], []),
            ),
          ),
          interval: orAnything(fc.constantFrom("10s", "1m30s", "x", "0s")),
          retries: orAnything(fc.integer({ min: -2, max: 5 })),
          start_period: fc.constantFrom("5s", "x"),
          disable: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    ),
    deploy: orAnything(
      fc.record(
        {
          replicas: orAnything(fc.integer({ min: -1, max: 5 })),
          mode: fc.constantFrom("replicated", "global", "odd"),
          resources: fc.record(
            {
              limits: fc.record(
                {
                  cpus: orAnything(fc.constantFrom("0.5", "2", "x")),
                  memory: fc.constantFrom("512m", "1g", "lots"),
                },
                { requiredKeys: [] },
              ),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    restart: orAnything(fc.constantFrom("no", "always", "on-failure:3", "unless-stopped", "sometimes")),
    privileged: orAnything(fc.boolean()),
    cap_add: orAnything(
      fc.uniqueArray(fc.constantFrom("NET_ADMIN", "SYS_ADMIN", "CHOWN", "ALL"), { maxLength: 2 }),
    ),
    cap_drop: orAnything(fc.uniqueArray(fc.constantFrom("ALL", "NET_RAW"), { maxLength: 2 })),
    user: orAnything(fc.constantFrom("1000", "1000:1000", "root", "0", "nobody:x")),
    read_only: orAnything(fc.boolean()),
    network_mode: fc.constantFrom("bridge", "host", "none", "service:web"),
    pid: fc.constantFrom("host", "service:db"),
    post_start: orAnything(
      fc.array(fc.record({ command: orAnything(command) }, { requiredKeys: [] }), { maxLength: 2 }),
    ),
    pre_stop: orAnything(
      fc.array(fc.record({ command, privileged: fc.boolean() }, { requiredKeys: [] }), { maxLength: 2 }),
    ),
    configs: orAnything(fc.uniqueArray(fc.constantFrom("site", "missing"), { maxLength: 2 })),
    secrets: orAnything(
      fc.array(
        fc.oneof(
          fc.constantFrom("token", "missing"),
          fc.record({ source: fc.constant("token"), mode: fc.constantFrom("0440", 288, "x") }),
        ),
        {
          maxLength: 2,
        },
      ),
    ),
    extends: orAnything(
      fc.oneof(
        serviceNames,
        fc.record({
          service: serviceNames,
          file: fc.constantFrom("base.yaml", "out", "missing.yaml", "../x.yaml"),
        }),
      ),
    ),
    profiles: orAnything(fc.uniqueArray(fc.constantFrom("debug", "tools"), { maxLength: 2 })),
    networks: orAnything(
      fc.oneof(
        fc.uniqueArray(fc.constantFrom("front", "back")),
        fc.constant({ front: { aliases: ["alias"] } }),
      ),
    ),
    labels: orAnything(environment),
    sysctls: orAnything(environment),
    extra_hosts: orAnything(
      fc.uniqueArray(fc.constantFrom("host:1.2.3.4", "gw:host-gateway", "bad"), { maxLength: 2 }),
    ),
    hostname: orAnything(fc.constantFrom("web", "Not_A_Label", "")),
    stop_grace_period: orAnything(fc.constantFrom("10s", "x")),
    group_add: orAnything(
      fc.uniqueArray(fc.oneof(fc.constantFrom("wheel", "1000"), fc.integer()), { maxLength: 2 }),
    ),
    logging: orAnything(fc.constant({ driver: "json-file" })),
    ulimits: orAnything(fc.constant({ nofile: { soft: 1024, hard: 2048 } })),
    init: orAnything(fc.boolean()),
    container_name: orAnything(fc.constantFrom("web-1", "x")),
    stop_signal: orAnything(fc.constantFrom("SIGINT", "SIGUSR1")),
    platform: orAnything(fc.constantFrom("linux/amd64", "linux/arm64")),
    devices: orAnything(fc.array(fc.constant("/dev/fuse"), { maxLength: 1 })),
    ...(wild ? { prots: anyValue, "x-custom": anyValue } : {}),
  });

  // Well-typed services have something to run, so more of them get past that first refusal.
  const runnable = wild
    ? service
    : service.map((generated) =>
        "image" in generated || "build" in generated ? generated : { image: "busybox", ...generated },
      );
  const services = orAnything(fc.dictionary(serviceNames, orAnything(runnable), { minKeys: 1, maxKeys: 3 }));
  const rest = someOf({
    volumes: orAnything(fc.constant({ data: {}, other: { external: true } })),
    configs: orAnything(
      fc.record(
        {
          site: fc.oneof(
            fc.record({ file: repoPath }),
            fc.constant({ content: "hello" }),
            fc.constant({ environment: "TAG" }),
            fc.constant({ external: true }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    secrets: orAnything(
      fc.record(
        { token: fc.oneof(fc.record({ file: repoPath }), fc.constant({ environment: "MISSING" })) },
        { requiredKeys: [] },
      ),
    ),
    networks: orAnything(fc.constant({ front: {}, back: { driver: "overlay" } })),
    version: fc.constantFrom("3.8", "2"),
    name: fc.constantFrom("proj"),
    ...(wild ? { include: fc.constant(["other.yaml"]) } : {}),
    ...(wild ? { "x-defaults": anyValue, servcies: anyValue } : {}),
  });
  return fc.tuple(services, rest).map(([generated, others]) => ({ services: generated, ...others }));
}

/** Strings put together from `pieces`: near misses of a syntax, which random text rarely is. */
function joined(...pieces: string[]): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...pieces), { maxLength: 6 }).map((parts) => parts.join(""));
}

/**
 * Compose files as YAML text put together from pieces a parser finds hard: anchors and aliases
 * (unresolved, or nested into a billion laughs), merge keys of the wrong kind, tags, flow and
 * complex keys, several documents, tabs.
 */
function yamlTexts(): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(
      "services:",
      "  web:",
      "    image: nginx",
      "    <<: *base",
      "    <<: [*base, *base]",
      "    <<: 1",
      "x-base: &base {image: busybox}",
      "x-list: &list [a, b]",
      "    <<: *list",
      "    environment: *nope",
      "    command: !!binary aGk=",
      "    ports: !!set {80: null}",
      "? [a, b]",
      ": value",
      "---",
      "%YAML 1.1",
      "\tindented: tab",
      "    volumes: [./cfg:/cfg, *list]",
      "  db: {image: redis, depends_on: [web]}",
      "x-big: &big 'aaaaaaaaaaaaaaaa'",
    ),
    fc.integer({ min: 2, max: 12 }).map((depth) => billionLaughs(depth)),
    fc.string({ maxLength: 20 }),
  );
  return fc.array(piece, { minLength: 1, maxLength: 8 }).map((lines) => lines.join("\n"));
}

/** Anchors nested `depth` deep, each alias list nine wide: a small text, a huge document. */
function billionLaughs(depth: number): string {
  const lines = ["x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let level = 1; level < depth; level++) {
    const alias = `*l${level - 1}`;
    lines.push(`x-l${level}: &l${level} [${Array(9).fill(alias).join(", ")}]`);
  }
  return lines.join("\n");
}

/** How a case ended, for the tally printed at the end. */
type Outcome = "translated" | ComposeError["kind"];

afterAll(removeTempDirs);

describe("the compose translator on generated compose files", () => {
  const repo = fuzzRepo();

  for (const wild of [false, true]) {
    const kind = wild ? "any values and unknown keys" : "well-typed values";
    it(`translates, warns or refuses with a named key, never throws anything else and leaks nothing (${kind})`, () => {
      const tally = new Map<Outcome, number>();
      let cases = 0;
      fc.assert(
        fc.property(composeDocuments(wild), fc.boolean(), (generated, asYaml) => {
          cases += 1;
          // Most cases go through YAML, as a repository would; some are written as JSON, which is YAML too.
          const text = asYaml ? stringify(generated) : JSON.stringify(generated);
          fs.writeFileSync(path.join(repo, "compose.yaml"), text);
          const outcome = translateOne(repo, generated);
          tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportCases(kind, cases, tally);
      expect(cases).toBeGreaterThanOrEqual(RUNS);
      // Well-typed documents must get past the schema to the translator's own checks, both ways.
      if (!wild) {
        expect(tally.get("translated") ?? 0).toBeGreaterThan(RUNS / 10);
        expect(tally.get("refused") ?? 0).toBeGreaterThan(RUNS / 10);
      }
    });
  }

  it("ends YAML that is hard to parse in a named problem, never in the parser's own exception", () => {
    const tally = new Map<Outcome, number>();
    let cases = 0;
    fc.assert(
      fc.property(yamlTexts(), (text) => {
        cases += 1;
        fs.writeFileSync(path.join(repo, "compose.yaml"), text);
        const outcome = translateOne(repo);
        tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    reportCases("YAML text", cases, tally);
    expect(cases).toBeGreaterThanOrEqual(RUNS);
  });
});

/** One line in the test output per property: how many cases ran and how they ended. */
function reportCases(kind: string, cases: number, tally: ReadonlyMap<Outcome, number>): void {
  const outcomes = [...tally].map(([outcome, count]) => `${count} ${outcome}`).join(", ");
  // eslint-disable-next-line no-console -- the case count is part of what this test reports
  console.log(`compose fuzz (${kind}): ${cases} generated compose files, seed ${SEED}: ${outcomes}`);
}

/**
 * Translates the repository's compose file and checks how it ended (see the module comment). Given
 * the `generated` document, also checks that every service key without a Kubernetes counterpart
 * was warned about, unless its whole service was (not started for its profile).
 */
function translateOne(repo: string, generated?: Record<string, unknown>): Outcome {
  let outcome: Outcome;
  let shown: string;
  try {
    const translation = translateCompose(repo, { runId: "fuzz1234", environment: { TAG: "2.0" } });
    outcome = "translated";
    for (const warning of translation.warnings) {
      expect(warning.path, warning.message).not.toBe("");
      expect(warning.message).not.toBe("");
    }
    shown = JSON.stringify(translation);
    if (generated) expectIgnoredKeysWarned(generated, translation.warnings);
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    outcome = error.kind;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) {
      expect(problem.path, problem.message).not.toBe("");
      expect(problem.message).not.toBe("");
    }
    shown = error.message;
  }
  expect(shown).not.toContain(PLANTED);
  return outcome;
}

function expectIgnoredKeysWarned(
  generated: Record<string, unknown>,
  warnings: readonly { path: string; message: string }[],
): void {
  const warned = new Set(warnings.map((warning) => warning.path));
  for (const [name, service] of Object.entries((generated.services ?? {}) as Record<string, object>)) {
    for (const key of Object.keys(service ?? {})) {
      const policy = SERVICE_KEY_POLICY[key];
      expect(policy !== undefined || key.startsWith("x-"), `services.${name}.${key} has a policy`).toBe(true);
      if (typeof policy !== "object" || warned.has(`services.${name}`)) continue;
      expect(warned.has(`services.${name}.${key}`), `a warning at services.${name}.${key}`).toBe(true);
    }
  }
}
