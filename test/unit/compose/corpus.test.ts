import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { type ComposeTranslation, translateCompose } from "../../../components/run/compose";
import { composeError } from "./fixtures";

/**
 * The translator on 25 real projects of docker/awesome-compose (CC0, copied unchanged into
 * test/fixtures/corpus/awesome-compose). For each, what a user relies on: which services become which
 * workloads, that each `depends_on` has its wait, the probes, the volumes, the secrets, which ports
 * become previews, and the refusals with their reason. Semantic assertions, never whole manifests.
 *
 * | project                       | translator                                   | would start                         |
 * | ----------------------------- | -------------------------------------------- | ----------------------------------- |
 * | apache-php                    | accepted, warned (read-only ./app)           | yes                                 |
 * | django, fastapi, flask        | accepted (fastapi, flask: ignored keys)      | yes                                 |
 * | flask-redis                   | accepted, warned (read-only .)               | yes; Redis 6379 is a TCP preview    |
 * | nextcloud-postgres            | accepted                                     | yes (root → chown → setuid images)  |
 * | nextcloud-redis-mariadb       | accepted, warned (networks)                  | yes (root → chown → setuid images)  |
 * | nginx-aspnet-mysql            | accepted                                     | yes                                 |
 * | nginx-flask-mysql             | accepted, warned (networks)                  | yes                                 |
 * | nginx-golang, -golang-mysql   | accepted                                     | yes                                 |
 * | nginx-wsgi-flask              | accepted, warned (read-only conf file)       | yes                                 |
 * | react-express-mongodb         | accepted, warned (live-reload binds dropped) | yes                                 |
 * | react-java-mysql              | accepted, warned                             | yes                                 |
 * | react-nginx, sparkjava        | accepted                                     | yes                                 |
 * | spring-postgres               | accepted, warned (networks)                  | yes                                 |
 * | vuejs                         | accepted, warned (live-reload bind dropped)  | yes                                 |
 * | elasticsearch-logstash-kibana | accepted, warned (1.9 MB log not mounted)    | no: nothing listens on 5000 (HTTP)  |
 * | wasmedge-kafka-mysql          | refused: etl is a WebAssembly image          | —                                   |
 * | pihole-cloudflared-DoH        | refused: host paths, NET_ADMIN               | —                                   |
 * | plex                          | refused: network_mode host, a host path      | —                                   |
 * | portainer, traefik-golang     | refused: the Docker socket                   | —                                   |
 * | wireguard                     | refused: host paths, NET_ADMIN, SYS_MODULE   | —                                   |
 */
const CORPUS = path.join(__dirname, "../../fixtures/corpus/awesome-compose");

/** What a user relies on in one accepted project; each field lists every service it applies to. */
interface Accepted {
  /** Service → the workload kind it becomes. */
  readonly workloads: Record<string, "Deployment" | "StatefulSet" | "Job">;
  /** Services built from the repository. */
  readonly builds: string[];
  /** Service → the services its init containers wait for (only services that have some). */
  readonly waits?: Record<string, string[]>;
  /** Service → its probes (only services that have some). */
  readonly probes?: Record<string, string[]>;
  /** Service → mount path → the PersistentVolumeClaim behind it. */
  readonly claims?: Record<string, Record<string, string>>;
  /** Service → anonymous volumes (emptyDir mounts). */
  readonly scratch?: Record<string, string[]>;
  /** Service → where repository files are mounted from a ConfigMap. */
  readonly repoFiles?: Record<string, string[]>;
  /** Service → the secret files it sees. */
  readonly secrets?: Record<string, string[]>;
  /** The published ports, `service:port`, `/tcp` for a TCP preview (a database, a broker), else HTTP. */
  readonly previews: string[];
  /** Compose path → what the warning at it says. */
  readonly warnings?: Record<string, RegExp>;
}

const ACCEPTED: Record<string, Accepted> = {
  "apache-php": {
    workloads: { web: "Deployment" },
    builds: ["web"],
    repoFiles: { web: ["/var/www/html/"] },
    previews: ["web:80"],
    warnings: { "services.web.volumes[0]": /mounted read-only from a ConfigMap/ },
  },
  django: { workloads: { web: "Deployment" }, builds: ["web"], previews: ["web:8000"] },
  "elasticsearch-logstash-kibana": {
    workloads: { elasticsearch: "Deployment", logstash: "Deployment", kibana: "Deployment" },
    builds: [],
    waits: { logstash: ["elasticsearch"], kibana: ["elasticsearch"] },
    probes: { elasticsearch: ["readinessProbe", "livenessProbe"] },
    repoFiles: { logstash: ["/usr/share/logstash/pipeline/logstash-nginx.config"] },
    previews: [
      "elasticsearch:9200",
      "elasticsearch:9300/tcp",
      "logstash:5000",
      "logstash:5000",
      "logstash:5044/tcp",
      "logstash:9600",
      "kibana:5601",
    ],
    warnings: {
      // The 1.9 MB log is left out rather than the whole project refused; the rest runs.
      "services.logstash.volumes[1]":
        /^"\.\/logstash\/nginx\.log" is not mounted: it is larger than the 1 MB a ConfigMap can hold, so \/home\/nginx\.log does not exist/,
    },
  },
  fastapi: {
    workloads: { api: "Deployment" },
    builds: ["api"],
    previews: ["api:8000"],
    warnings: {
      "services.api.restart": /restarts its container whenever it exits/,
    },
  },
  flask: {
    workloads: { web: "Deployment" },
    builds: ["web"],
    previews: ["web:8000"],
    warnings: { "services.web.stop_signal": /^ignored: Kubernetes stops containers with SIGTERM/ },
  },
  "flask-redis": {
    workloads: { redis: "Deployment", web: "Deployment" },
    builds: ["web"],
    waits: { web: ["redis"] },
    repoFiles: { web: ["/code"] },
    previews: ["redis:6379/tcp", "web:8000"],
  },
  "nextcloud-postgres": {
    workloads: { nc: "Deployment", db: "Deployment" },
    builds: [],
    claims: { nc: { "/var/www/html": "nc-data" }, db: { "/var/lib/postgresql/data": "db-data" } },
    previews: ["nc:80"],
  },
  "nextcloud-redis-mariadb": {
    workloads: { nc: "Deployment", redis: "Deployment", db: "Deployment" },
    builds: [],
    claims: { nc: { "/var/www/html": "nc-data" }, db: { "/var/lib/mysql": "db-data" } },
    previews: ["nc:80"],
    warnings: { networks: /all services of a run share one network/ },
  },
  "nginx-aspnet-mysql": {
    workloads: { backend: "Deployment", db: "Deployment", proxy: "Deployment" },
    builds: ["backend", "proxy"],
    waits: { backend: ["db"], proxy: ["backend"] },
    probes: { db: ["readinessProbe", "livenessProbe", "startupProbe"] },
    claims: { db: { "/var/lib/mysql": "db-data" } },
    secrets: { backend: ["/run/secrets/db-password"], db: ["/run/secrets/db-password"] },
    previews: ["proxy:80"],
  },
  "nginx-flask-mysql": {
    workloads: { db: "Deployment", backend: "Deployment", proxy: "Deployment" },
    builds: ["backend", "proxy"],
    waits: { backend: ["db"], proxy: ["backend"] },
    probes: { db: ["readinessProbe", "livenessProbe", "startupProbe"] },
    claims: { db: { "/var/lib/mysql": "db-data" } },
    secrets: { backend: ["/run/secrets/db-password"], db: ["/run/secrets/db-password"] },
    previews: ["backend:8000", "proxy:80"],
  },
  "nginx-golang": {
    workloads: { proxy: "Deployment", backend: "Deployment" },
    builds: ["backend"],
    waits: { proxy: ["backend"] },
    repoFiles: { proxy: ["/etc/nginx/conf.d/default.conf"] },
    previews: ["proxy:80"],
  },
  "nginx-golang-mysql": {
    workloads: { backend: "Deployment", db: "Deployment", proxy: "Deployment" },
    builds: ["backend"],
    waits: { backend: ["db"], proxy: ["backend"] },
    probes: { db: ["readinessProbe", "livenessProbe", "startupProbe"] },
    claims: { db: { "/var/lib/mysql": "db-data" } },
    repoFiles: { proxy: ["/etc/nginx/conf.d/default.conf"] },
    secrets: { backend: ["/run/secrets/db-password"], db: ["/run/secrets/db-password"] },
    previews: ["proxy:80"],
  },
  "nginx-wsgi-flask": {
    workloads: { "nginx-proxy": "Deployment", "flask-app": "Deployment" },
    builds: ["nginx-proxy", "flask-app"],
    waits: { "nginx-proxy": ["flask-app"] },
    probes: {
      "nginx-proxy": ["readinessProbe", "livenessProbe"],
      "flask-app": ["readinessProbe", "livenessProbe"],
    },
    repoFiles: { "nginx-proxy": ["/tmp/default.conf"] },
    previews: ["nginx-proxy:80", "flask-app:8000"],
  },
  "react-express-mongodb": {
    workloads: { frontend: "Deployment", backend: "Deployment", mongo: "Deployment" },
    builds: ["frontend", "backend"],
    waits: { frontend: ["backend"], backend: ["mongo"] },
    claims: { mongo: { "/data/db": "mongo-data" } },
    scratch: { frontend: ["/usr/src/app/node_modules"], backend: ["/usr/src/app/node_modules"] },
    previews: ["frontend:3000"],
    warnings: {
      "services.frontend.volumes[0]":
        /has subdirectories[^]*not mounted; the image built from the repository is used/,
      "services.backend.volumes[0]": /has subdirectories[^]*not mounted/,
    },
  },
  "react-java-mysql": {
    workloads: { backend: "Deployment", db: "Deployment", frontend: "Deployment" },
    builds: ["backend", "frontend"],
    waits: { backend: ["db"], frontend: ["backend"] },
    probes: { db: ["readinessProbe", "livenessProbe", "startupProbe"] },
    claims: { db: { "/var/lib/mysql": "db-data" } },
    scratch: { frontend: ["/project/node_modules"] },
    repoFiles: { frontend: ["/code/src"] },
    secrets: { backend: ["/run/secrets/db-password"], db: ["/run/secrets/db-password"] },
    previews: ["frontend:3000"],
  },
  "react-nginx": { workloads: { frontend: "Deployment" }, builds: ["frontend"], previews: ["frontend:80"] },
  sparkjava: { workloads: { sparkjava: "Deployment" }, builds: ["sparkjava"], previews: ["sparkjava:8080"] },
  "spring-postgres": {
    workloads: { backend: "Deployment", db: "Deployment" },
    builds: ["backend"],
    claims: { db: { "/var/lib/postgresql/data": "db-data" } },
    secrets: { db: ["/run/secrets/db-password"] },
    previews: ["backend:8080"],
  },
  vuejs: {
    workloads: { web: "Deployment" },
    builds: ["web"],
    scratch: { web: ["/project/node_modules"] },
    previews: ["web:8080"],
    warnings: { "services.web.volumes[0]": /has subdirectories/ },
  },
};

/** Refused projects: compose path → what the refusal says. */
const REFUSED: Record<string, Record<string, RegExp>> = {
  "pihole-cloudflared-DoH": {
    "services.pihole.volumes[0]": /binds "\/etc\/pihole\/", which is absolute/,
    "services.pihole.volumes[1]": /binds "\/etc\/dnsmasq\.d\/", which is absolute/,
    "services.pihole.cap_add[0]": /NET_ADMIN is not allowed in a run/,
  },
  plex: {
    "services.plex.network_mode": /network_mode: host shares the host's namespace/,
    "services.plex.volumes[0]": /which is absolute: a run cannot see the host's files/,
  },
  portainer: {
    "services.portainer.volumes[0]": /Docker socket .* would give the container control of the host/,
  },
  "traefik-golang": { "services.frontend.volumes[0]": /Docker socket/ },
  "wasmedge-kafka-mysql": {
    "services.etl.platform":
      /"wasi\/wasm" is a WebAssembly image, which the cluster's container runtime cannot run/,
  },
  wireguard: {
    "services.wireguard.volumes[0]": /which is absolute/,
    "services.wireguard.volumes[1]": /which is absolute/,
    "services.wireguard.volumes[2]": /which is absolute/,
    "services.wireguard.cap_add[0]": /NET_ADMIN is not allowed/,
    "services.wireguard.cap_add[1]": /SYS_MODULE is not allowed/,
  },
};

const translate = (project: string) => translateCompose(path.join(CORPUS, project), { runId: "abc12345" });

type Pod = { containers: any[]; initContainers?: any[]; volumes?: any[] };
/** Service → its pod spec and workload kind. */
function workloadsOf(translation: ComposeTranslation): Map<string, { kind: string; pod: Pod }> {
  return new Map(
    translation.manifests
      .filter((m) => ["Deployment", "StatefulSet", "Job"].includes(m.kind))
      .map((m: any) => [
        m.metadata.labels["app.kubernetes.io/name"],
        { kind: m.kind, pod: m.spec.template.spec },
      ]),
  );
}

/** Service → value, for the services where `pick` finds something. */
function perService<T>(
  translation: ComposeTranslation,
  pick: (pod: Pod) => T | undefined,
): Record<string, T> {
  const result: Record<string, T> = {};
  for (const [service, { pod }] of workloadsOf(translation)) {
    const value = pick(pod);
    if (value !== undefined) result[service] = value;
  }
  return result;
}

const nonEmpty = <T>(list: T[]) => (list.length ? list : undefined);
/** The mount paths of the main container backed by pod volumes that `match`. */
function mountsWhere(pod: Pod, match: (volume: any) => boolean): string[] {
  const names = new Set((pod.volumes ?? []).filter(match).map((volume) => volume.name));
  return (pod.containers[0].volumeMounts ?? [])
    .filter((mount: any) => names.has(mount.name))
    .map((mount: any) => mount.mountPath);
}

describe("the awesome-compose corpus", () => {
  it("holds 25 projects and their license, and the test covers each one", () => {
    const projects = fs
      .readdirSync(CORPUS)
      .filter((entry) => fs.statSync(path.join(CORPUS, entry)).isDirectory());
    expect(projects).toHaveLength(25);
    expect([...Object.keys(ACCEPTED), ...Object.keys(REFUSED)].sort()).toEqual(projects.sort());
    expect(fs.readFileSync(path.join(CORPUS, "LICENSE"), "utf8")).toContain("CC0 1.0 Universal");
  });

  describe.each(Object.entries(ACCEPTED))("%s", (project, expected) => {
    const translation = translate(project);
    const compose = parse(
      fs.readFileSync(
        path.join(
          CORPUS,
          project,
          fs.existsSync(path.join(CORPUS, project, "compose.yaml")) ? "compose.yaml" : "compose.yml",
        ),
        "utf8",
      ),
    );

    it("turns each service into the workload a user expects, built or pulled", () => {
      const kinds = Object.fromEntries([...workloadsOf(translation)].map(([name, w]) => [name, w.kind]));
      expect(kinds).toEqual(expected.workloads);
      expect(translation.images.map((image) => image.service).sort()).toEqual([...expected.builds].sort());
      // Every service is reachable by its name, with or without ports (headless when none).
      for (const service of Object.keys(expected.workloads)) {
        expect(translation.manifests.some((m) => m.kind === "Service" && m.metadata.name === service)).toBe(
          true,
        );
      }
    });

    it("waits for every depends_on before the service starts", () => {
      const waits = perService(translation, (pod) =>
        nonEmpty(
          (pod.initContainers ?? [])
            .filter((init) => String(init.name).startsWith("wait-for-"))
            .map((init) => String(init.name).replace(/^wait-for-/, "")),
        ),
      );
      expect(waits).toEqual(expected.waits ?? {});
      for (const [name, service] of Object.entries<any>(compose.services)) {
        const dependsOn = Array.isArray(service.depends_on)
          ? service.depends_on
          : Object.keys(service.depends_on ?? {});
        expect(waits[name] ?? [], `services.${name}.depends_on`).toEqual(dependsOn);
      }
    });

    it("turns each healthcheck into probes", () => {
      const probes = perService(translation, (pod) =>
        nonEmpty(
          ["readinessProbe", "livenessProbe", "startupProbe"].filter((probe) => pod.containers[0][probe]),
        ),
      );
      expect(probes).toEqual(expected.probes ?? {});
    });

    it("backs named volumes with claims, anonymous ones with pod storage, and mounts repository files", () => {
      const claims = perService(translation, (pod) => {
        const byVolume = new Map(
          (pod.volumes ?? [])
            .filter((volume) => volume.persistentVolumeClaim)
            .map((volume) => [volume.name, volume.persistentVolumeClaim.claimName]),
        );
        const mounts = (pod.containers[0].volumeMounts ?? []).filter((mount: any) =>
          byVolume.has(mount.name),
        );
        return mounts.length
          ? Object.fromEntries(mounts.map((mount: any) => [mount.mountPath, byVolume.get(mount.name)]))
          : undefined;
      });
      expect(claims).toEqual(expected.claims ?? {});
      const claimNames = translation.manifests
        .filter((m) => m.kind === "PersistentVolumeClaim")
        .map((m) => m.metadata.name);
      expect(claimNames.sort()).toEqual(
        [...new Set(Object.values(expected.claims ?? {}).flatMap((byPath) => Object.values(byPath)))].sort(),
      );
      expect(
        perService(translation, (pod) => nonEmpty(mountsWhere(pod, (volume) => volume.emptyDir))),
      ).toEqual(expected.scratch ?? {});
      // Each anonymous volume starts with the image's files at its path, as compose fills a new volume.
      const seeded = perService(translation, (pod) =>
        nonEmpty(
          (pod.initContainers ?? [])
            .filter((init) => String(init.name).startsWith("seed-"))
            .map((init) => init.command.at(-1) as string),
        ),
      );
      expect(seeded).toEqual(expected.scratch ?? {});
      expect(
        perService(translation, (pod) => nonEmpty(mountsWhere(pod, (volume) => volume.configMap))),
      ).toEqual(expected.repoFiles ?? {});
    });

    it("gives each service its secrets as files under /run/secrets", () => {
      expect(perService(translation, (pod) => nonEmpty(mountsWhere(pod, (volume) => volume.secret)))).toEqual(
        expected.secrets ?? {},
      );
    });

    it("offers the ports compose would publish as previews, HTTP or TCP by the documented rule", () => {
      expect(
        translation.published.map(
          (port) => `${port.service}:${port.port}${port.preview === "tcp" ? "/tcp" : ""}`,
        ),
      ).toEqual(expected.previews);
    });

    it("lets services that may run as root bind low ports, chown and switch user, as under Docker", () => {
      for (const [service, { pod }] of workloadsOf(translation)) {
        if (compose.services[service]?.user !== undefined) continue;
        expect(pod.containers[0].securityContext.capabilities.add, service).toEqual(
          expect.arrayContaining(["NET_BIND_SERVICE", "CHOWN", "SETUID", "SETGID", "FOWNER", "DAC_OVERRIDE"]),
        );
        expect(pod.containers[0].securityContext.capabilities.add, service).not.toContain("NET_RAW");
      }
    });

    it("warns about what it translates differently", () => {
      for (const [at, message] of Object.entries(expected.warnings ?? {})) {
        const warning = translation.warnings.find((candidate) => candidate.path === at);
        expect(warning?.message, `a warning at ${at}`).toMatch(message);
      }
    });
  });

  describe.each(Object.entries(REFUSED))("%s", (project, refusals) => {
    it("is refused, and each refusal names the key and why", () => {
      const error = composeError(() => translate(project));
      expect(error.kind).toBe("refused");
      expect(error.problems.map((problem) => problem.path).sort()).toEqual(Object.keys(refusals).sort());
      for (const [at, message] of Object.entries(refusals)) {
        expect(error.problems.find((problem) => problem.path === at)!.message).toMatch(message);
      }
    });
  });
});
