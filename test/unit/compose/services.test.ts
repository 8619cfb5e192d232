import { describe, expect, it } from "vitest";
import { container, manifest, translateFixture, warningAt } from "./fixtures";

const RUN_LABELS = {
  "app.kubernetes.io/instance": "run-abc12345",
  "app.kubernetes.io/managed-by": "reporunner",
  "reporunner.dev/run-id": "abc12345",
};

describe("compose services → Deployments and Services", () => {
  it("turns an image service with a port into a Deployment and a ClusterIP Service named after it", () => {
    const { manifests, warnings, images } = translateFixture("basic-image");
    const deployment = manifest(manifests, "Deployment", "web");
    expect(deployment.metadata.namespace).toBe("run-abc12345");
    expect(deployment.metadata.labels).toMatchObject({ ...RUN_LABELS, "app.kubernetes.io/name": "web" });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "web",
      "app.kubernetes.io/instance": "run-abc12345",
    });
    const pod = deployment.spec.template.spec;
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0]).toMatchObject({
      name: "web",
      image: "nginx:1.27-alpine",
      ports: [{ name: "tcp-80", containerPort: 80, protocol: "TCP" }],
      securityContext: {
        allowPrivilegeEscalation: false,
        seccompProfile: { type: "RuntimeDefault" },
      },
    });
    // nginx starts as root, then its workers switch user: it keeps what Docker would give it.
    expect(pod.containers[0].securityContext.capabilities.add).toContain("SETUID");
    const service = manifest(manifests, "Service", "web");
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: deployment.spec.selector.matchLabels,
      ports: [{ name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" }],
    });
    expect(warnings).toEqual([]);
    expect(images).toEqual([]);
  });

  it("returns a build spec for build: with context, dockerfile, args and target, and runs the caller's image name", () => {
    const { manifests, images, warnings } = translateFixture("build-full", {
      imageFor: (service) => `registry.local/run/${service}:sha`,
      environment: { EMPTY_FROM_ENV: "from-run" },
    });
    expect(images).toEqual([
      {
        service: "api",
        context: "app",
        dockerfile: "app/Dockerfile.dev",
        args: { NODE_VERSION: "20", EMPTY_FROM_ENV: "from-run" },
        target: "dev",
        imageName: "registry.local/run/api:sha",
      },
    ]);
    expect(container(manifests, "Deployment", "api")).toMatchObject({
      image: "registry.local/run/api:sha",
      imagePullPolicy: "IfNotPresent",
    });
    expect(warningAt(warnings, "services.api.build")).toContain("cache_from is not passed to the builder");
  });

  it("uses a placeholder image for built services when no imageFor is given, and reads build: as a context string", () => {
    const { images, manifests } = translateFixture("build-string");
    expect(images).toEqual([
      {
        service: "app",
        context: ".",
        dockerfile: "Dockerfile",
        args: {},
        imageName: "reporunner.local/abc12345/app:latest",
      },
    ]);
    expect(manifest(manifests, "Service", "app").spec.ports).toEqual([
      { name: "tcp-5000", port: 5000, targetPort: 5000, protocol: "TCP" },
    ]);
  });

  it("reads short and long port syntax, ranges, protocols and expose into container and Service ports", () => {
    const { manifests, warnings, published } = translateFixture("ports-syntax");
    const ports = container(manifests, "Deployment", "edge").ports;
    expect(ports).toEqual([
      { name: "tcp-80", containerPort: 80, protocol: "TCP" },
      { name: "tcp-443", containerPort: 443, protocol: "TCP" },
      { name: "tcp-8081", containerPort: 8081, protocol: "TCP" },
      { name: "tcp-8080", containerPort: 8080, protocol: "TCP" },
      { name: "udp-6060", containerPort: 6060, protocol: "UDP" },
      { name: "admin", containerPort: 9000, protocol: "TCP" },
      { name: "udp-5353", containerPort: 5353, protocol: "UDP" },
      { name: "tcp-7000", containerPort: 7000, protocol: "TCP" },
      { name: "tcp-7100", containerPort: 7100, protocol: "TCP" },
      { name: "tcp-7101", containerPort: 7101, protocol: "TCP" },
    ]);
    const servicePorts = manifest(manifests, "Service", "edge").spec.ports;
    expect(servicePorts).toContainEqual({
      name: "admin",
      port: 9000,
      targetPort: 9000,
      protocol: "TCP",
      appProtocol: "http",
    });
    expect(servicePorts).toContainEqual({ name: "udp-6060", port: 6060, targetPort: 6060, protocol: "UDP" });
    expect(published).toContainEqual({
      service: "edge",
      serviceName: "edge",
      port: 8080,
      protocol: "TCP",
      published: "9090",
      preview: "http",
    });
    expect(published).toContainEqual({
      service: "edge",
      serviceName: "edge",
      port: 8081,
      protocol: "TCP",
      published: "8081",
      preview: "http",
    });
    expect(published.find((port) => port.port === 7000)).toBeUndefined();
    expect(warningAt(warnings, "services.edge.ports[2]")).toContain("host address is ignored");
  });

  it("merges env_file and environment (list and map) in compose's order and passes valueless entries from the run", () => {
    const { manifests, warnings } = translateFixture("environment", {
      environment: { FROM_RUN: "run-value" },
    });
    expect(container(manifests, "Deployment", "app").env).toEqual([
      { name: "APP_NAME", value: "demo" },
      { name: "GREETING", value: "hello world" },
      { name: "LITERAL", value: "no $$expansion here" },
      { name: "LOG_LEVEL", value: "debug" },
      { name: "FROM_RUN", value: "run-value" },
    ]);
    expect(warningAt(warnings, "services.app.environment.UNSET_VAR")).toContain("left unset");
    expect(container(manifests, "Deployment", "worker").env).toEqual([
      { name: "APP_NAME", value: "demo" },
      { name: "GREETING", value: "hello world" },
      { name: "LITERAL", value: "no $$expansion here" },
      { name: "LOG_LEVEL", value: "info" },
      { name: "DATABASE_URL", value: "postgres://db:5432/app" },
      { name: "RETRIES", value: "3" },
      { name: "DEBUG", value: "true" },
      { name: "PRICE", value: "$$5" },
    ]);
  });

  it("maps entrypoint to command and command to args, splitting strings like compose and escaping $ for Kubernetes", () => {
    const { manifests } = translateFixture("command-entrypoint");
    expect(container(manifests, "Deployment", "string-form")).toMatchObject({
      command: ["/bin/sh", "-c"],
      args: ["echo", "hello world", "&&", "sleep", "3600"],
    });
    expect(container(manifests, "Deployment", "list-form")).toMatchObject({
      command: ["/usr/bin/env"],
      args: ["printenv", "HOME"],
    });
    // Compose turned $$ into $; Kubernetes would expand $(date), so every $ is doubled again.
    expect(container(manifests, "Deployment", "dollar").args).toEqual(["sh", "-c", "echo $$HOME $$(date)"]);
  });

  it("turns healthchecks into exec readiness and liveness probes, with start_period as a startup probe", () => {
    const { manifests } = translateFixture("healthcheck");
    const cmd = container(manifests, "Deployment", "cmd");
    const probe = {
      exec: { command: ["curl", "-f", "http://localhost/"] },
      periodSeconds: 90,
      timeoutSeconds: 10,
      failureThreshold: 3,
    };
    expect(cmd.readinessProbe).toEqual(probe);
    expect(cmd.livenessProbe).toEqual(probe);
    expect(cmd.startupProbe).toEqual({ ...probe, periodSeconds: 5, failureThreshold: 11 });
    const shell = container(manifests, "Deployment", "shell");
    expect(shell.readinessProbe).toEqual({
      exec: { command: ["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"] },
      periodSeconds: 30,
      timeoutSeconds: 30,
      failureThreshold: 3,
    });
    expect(shell.startupProbe).toBeUndefined();
    const plain = container(manifests, "Deployment", "plain");
    expect(plain.readinessProbe.exec.command).toEqual(["/bin/sh", "-c", "wget -q -O- http://localhost/"]);
    expect(plain.readinessProbe.periodSeconds).toBe(1);
    expect(container(manifests, "Deployment", "disabled").readinessProbe).toBeUndefined();
    expect(container(manifests, "Deployment", "none").livenessProbe).toBeUndefined();
  });

  it("keeps restart: always, and warns that no and on-failure cannot be kept by a Deployment", () => {
    const { manifests, warnings } = translateFixture("restart");
    expect(manifest(manifests, "Deployment", "always").spec.template.spec.restartPolicy).toBeUndefined();
    expect(warningAt(warnings, "services.never.restart")).toContain("a Deployment restarts its container");
    expect(warningAt(warnings, "services.flaky.restart")).toContain("on-failure is not kept");
    expect(warnings.find((warning) => warning.path === "services.always.restart")).toBeUndefined();
  });

  it("takes replicas and resources from deploy, and from the older scale, cpus and mem_ keys", () => {
    const { manifests, warnings } = translateFixture("deploy-resources");
    const api = manifest(manifests, "Deployment", "api");
    expect(api.spec.replicas).toBe(3);
    expect(api.spec.template.spec.containers[0].resources).toEqual({
      limits: { cpu: "500m", memory: "512Mi" },
      requests: { cpu: "250m", memory: "128Mi" },
    });
    expect(warningAt(warnings, "services.api.deploy.placement")).toContain("Swarm");
    const legacy = manifest(manifests, "Deployment", "legacy");
    expect(legacy.spec.replicas).toBe(2);
    expect(legacy.spec.template.spec.containers[0].resources).toEqual({
      limits: { cpu: "1500m", memory: "1Gi" },
      requests: { memory: "256Mi" },
    });
  });

  it("starts only services without profiles unless a profile is enabled", () => {
    const plain = translateFixture("profiles");
    expect(
      plain.manifests.filter((item) => item.kind === "Deployment").map((item) => item.metadata.name),
    ).toEqual(["app"]);
    expect(warningAt(plain.warnings, "services.debug")).toContain("--profile debug");
    const debug = translateFixture("profiles", { profiles: ["debug"] });
    expect(
      debug.manifests.filter((item) => item.kind === "Deployment").map((item) => item.metadata.name),
    ).toEqual(["app", "debug", "admin"]);
  });

  it("keeps labels as pod annotations and sets working_dir, a numeric user, read_only, hostname, grace period and extra_hosts", () => {
    const { manifests, podSecurity } = translateFixture("labels-user");
    const deployment = manifest(manifests, "Deployment", "app");
    expect(deployment.spec.template.metadata.annotations).toEqual({
      "com.example.team": "platform",
      "traefik.http.routers.app.rule": "Host(`app.localhost`)",
    });
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0]).toMatchObject({
      workingDir: "/srv/app",
      securityContext: {
        runAsUser: 1000,
        runAsGroup: 1000,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
      },
    });
    expect(pod.hostname).toBe("app-host");
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    // Without stop_grace_period, compose's 10 s (not Kubernetes' 30 s) between SIGTERM and SIGKILL.
    expect(
      manifest(manifests, "Deployment", "rootful").spec.template.spec.terminationGracePeriodSeconds,
    ).toBe(10);
    expect(pod.hostAliases).toEqual([{ ip: "10.0.0.5", hostnames: ["internal.example", "other.example"] }]);
    expect(container(manifests, "Deployment", "rootful").securityContext.runAsUser).toBe(0);
    expect(podSecurity.level).toBe("baseline");
    expect(podSecurity.reasons).toEqual(["services.rootful.user: runs as root"]);
  });

  it("resolves extends from the same file and another file, merging environment and replacing command", () => {
    const { manifests } = translateFixture("extends");
    const web = container(manifests, "Deployment", "web");
    expect(web.image).toBe("nginx:1.27");
    expect(web.args).toEqual(["serve"]);
    expect(web.env).toEqual([
      { name: "ROLE", value: "web" },
      { name: "SHARED", value: "yes" },
    ]);
    expect(manifest(manifests, "Deployment", "web").spec.template.metadata.annotations).toEqual({
      "com.example.layer": "base",
    });
    const worker = container(manifests, "Deployment", "worker");
    expect(worker.args).toEqual(["worker"]);
    expect(worker.env).toContainEqual({ name: "ROLE", value: "worker" });
    expect(worker.ports).toEqual([{ name: "tcp-80", containerPort: 80, protocol: "TCP" }]);
  });

  it("honours YAML anchors and merge keys", () => {
    const { manifests } = translateFixture("yaml-anchors");
    expect(container(manifests, "Deployment", "one")).toMatchObject({
      image: "alpine:3.20",
      args: ["one"],
      env: [{ name: "TZ", value: "UTC" }],
    });
    expect(container(manifests, "Deployment", "two").args).toEqual(["two"]);
  });

  it("interpolates ${VAR} from the run's variables and .env, with defaults, and warns about unset ones", () => {
    const { manifests, warnings, published } = translateFixture("interpolation");
    const app = container(manifests, "Deployment", "app");
    expect(app.image).toBe("nginx:1.27");
    expect(app.env).toEqual([
      { name: "FROM_DOTENV", value: "dotenv-value" },
      { name: "MISSING", value: "" },
      { name: "ALT", value: "present" },
      { name: "LITERAL", value: "$$NOT_INTERPOLATED" },
    ]);
    expect(published).toEqual([
      { service: "app", serviceName: "app", port: 80, protocol: "TCP", published: "8088", preview: "http" },
    ]);
    expect(warningAt(warnings, "services.app.environment.MISSING")).toContain("NOT_SET_ANYWHERE is not set");
    const overridden = translateFixture("interpolation", { environment: { NGINX_TAG: "1.25" } });
    expect(container(overridden.manifests, "Deployment", "app").image).toBe("nginx:1.25");
  });

  it("warns, naming the key and why, about keys with no Kubernetes counterpart", () => {
    const { manifests, warnings } = translateFixture("ignored-keys");
    for (const key of ["logging", "init", "ulimits", "stop_signal", "platform", "dns"]) {
      expect(warningAt(warnings, `services.app.${key}`)).toMatch(/^ignored: /);
    }
    expect(warningAt(warnings, "version")).toContain("no longer uses it");
    expect(warningAt(warnings, "networks")).toContain("share one network");
    expect(warningAt(warnings, "services.app.networks.backend")).toContain("ipv4_address ignored");
    expect(warningAt(warnings, "services.app.sysctls.net.core.somaxconn")).toContain("safe sysctls");
    expect(warningAt(warnings, "services.app.security_opt[1]")).toContain("is ignored");
    expect(warnings.some((warning) => warning.path.startsWith("x-common"))).toBe(false);
    expect(manifest(manifests, "Deployment", "app").spec.template.spec.securityContext.sysctls).toEqual([
      { name: "net.ipv4.tcp_syncookies", value: "1" },
    ]);
    // A network alias is one more Service with the same selector.
    expect(manifest(manifests, "Service", "application").spec.selector).toEqual(
      manifest(manifests, "Service", "app").spec.selector,
    );
    // So is container_name, which Docker's DNS answers on a compose network.
    expect(warnings.find((warning) => warning.path === "services.app.container_name")).toBeUndefined();
    expect(manifest(manifests, "Service", "my-app").spec.selector).toEqual(
      manifest(manifests, "Service", "app").spec.selector,
    );
  });

  it("renames services whose names are not DNS labels and says so", () => {
    const { manifests, warnings } = translateFixture("service-names");
    expect(manifest(manifests, "Service", "api-gateway").metadata.labels["app.kubernetes.io/name"]).toBe(
      "api-gateway",
    );
    manifest(manifests, "Deployment", "web-frontend");
    expect(warningAt(warnings, "services.api_gateway")).toContain('reached as "api-gateway"');
  });

  it("reports restricted Pod Security only when every service runs as a known non-root uid with safe capabilities", () => {
    const safe = translateFixture("cap-add-safe");
    expect(container(safe.manifests, "Deployment", "web").securityContext.capabilities).toEqual({
      drop: ["ALL"],
      add: ["NET_BIND_SERVICE"],
    });
    expect(container(safe.manifests, "Deployment", "chowner").securityContext.capabilities.add).toEqual([
      "CHOWN",
      "SETUID",
    ]);
    expect(safe.podSecurity).toEqual({
      level: "baseline",
      reasons: ["services.chowner.cap_add: adds CHOWN, SETUID"],
      capabilities: "Capabilities: web, chowner run as a non-root uid and keep only what cap_add asks for",
    });
    expect(translateFixture("basic-image").podSecurity.reasons[0]).toContain("image's default user");
  });

  it("keeps Docker's default capabilities but NET_RAW for a service that may run as root, so it can bind port 80, chown and switch user", () => {
    const { manifests, podSecurity } = translateFixture("capabilities");
    const dockerDefaultsButNetRaw = [
      "AUDIT_WRITE",
      "CHOWN",
      "DAC_OVERRIDE",
      "FOWNER",
      "FSETID",
      "KILL",
      "MKNOD",
      "NET_BIND_SERVICE",
      "SETFCAP",
      "SETGID",
      "SETPCAP",
      "SETUID",
      "SYS_CHROOT",
    ];
    const capabilities = (name: string) =>
      container(manifests, "Deployment", name).securityContext.capabilities;
    expect(capabilities("web")).toEqual({ drop: ["ALL"], add: dockerDefaultsButNetRaw });
    expect(capabilities("web").add).not.toContain("NET_RAW");
    expect(capabilities("db").add).toEqual(
      dockerDefaultsButNetRaw.filter((name) => name !== "MKNOD" && name !== "SYS_CHROOT"),
    );
    expect(capabilities("minimal")).toEqual({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
    expect(capabilities("app")).toEqual({ drop: ["ALL"] });
    expect(podSecurity.level).toBe("baseline");
    expect(podSecurity.capabilities).toBe(
      "Capabilities: web, db may run as root and keep Docker's default capabilities except NET_RAW (raw sockets: ping and traceroute fail); app run as a non-root uid and keep only what cap_add asks for; minimal keep only cap_add (cap_drop: ALL)",
    );
  });

  it("translates a compose document handed in by the caller, such as one made up for a lone Dockerfile", () => {
    const { manifests, images } = translateFixture("detect-dockerfile-only", {
      composeFile: "Dockerfile",
      document: {
        services: { app: { build: { context: ".", dockerfile: "Dockerfile" }, ports: ["80:80/tcp"] } },
      },
    });
    expect(images).toEqual([
      {
        service: "app",
        context: ".",
        dockerfile: "Dockerfile",
        args: {},
        imageName: "reporunner.local/abc12345/app:latest",
      },
    ]);
    expect(manifest(manifests, "Service", "app").spec.ports).toEqual([
      { name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" },
    ]);
  });
});
