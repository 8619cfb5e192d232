import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hashToken } from "../../../automation/api/auth";
import { loadConfig } from "../../../automation/config";
import { engineOptionsFromEnv } from "../../../automation/engine/engine-config";
import { apiEnvironment, imageLoadSpec, pulumiEnvironment } from "../../../automation/local/api-environment";
import { readOrCreateSecret } from "../../../automation/local/home";
import { privilegedContainersWork } from "../../../automation/local/kind-here";
import { platformConfig } from "../../../automation/local/platform-config";
import { parsePlatformConfig } from "../../../stacks/config";

const home = () => fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-home-"));

describe("a local instance's settings", () => {
  it("keeps Pulumi's state, passphrase and plugins in the home folder", () => {
    const env = pulumiEnvironment("/h/.reporunner", { PATH: "/tools" });
    expect(env).toMatchObject({
      PATH: "/tools",
      PULUMI_BACKEND_URL: "file:///h/.reporunner/state",
      PULUMI_CONFIG_PASSPHRASE_FILE: "/h/.reporunner/passphrase",
      PULUMI_HOME: "/h/.reporunner/pulumi-home",
      REPORUNNER_SECRETS_PROVIDER: "passphrase",
    });
  });

  it("gives the Run API an environment its own validation accepts, with the token only as a digest", () => {
    const dir = home();
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
    const env = apiEnvironment({
      home: dir,
      token: "secret-token-value",
      mongodbUrl: "mongodb://127.0.0.1:27017/reporunner",
      redisUrl: "redis://127.0.0.1:6379/1",
      kubeconfigPath: kubeconfig,
      kubeContext: "ctx",
      platform: {
        previewBaseUrl: "http://localhost:30080",
        imageLoader: { method: "containerd-import", containerdAddress: "/run/containerd.sock" },
      },
      pulumiEnv: pulumiEnvironment(dir, {}),
      port: 0,
    });
    expect(JSON.stringify(env)).not.toContain("secret-token-value");
    const config = loadConfig(env);
    expect(config.host).toBe("127.0.0.1");
    expect([...config.tokens.keys()]).toEqual([hashToken("secret-token-value")]);
    expect(config.urlPolicy.allowLocalSources).toBe(true);
    const engine = engineOptionsFromEnv(env);
    expect(engine.target.imageLoader).toEqual({
      method: "containerd-import",
      containerdAddress: "/run/containerd.sock",
    });
    expect(engine.target.previewBaseUrl).toBe("http://localhost:30080");
    expect(engine.sourcesDir).toBe(path.join(dir, "sources"));
  });

  it("maps every image loader the platform reports to the engine's form", () => {
    expect(imageLoadSpec({ method: "kind-load", clusterName: "reporunner" })).toBe("kind:reporunner");
    expect(imageLoadSpec({ method: "k3d-import", clusterName: "rr" })).toBe("k3d:rr");
    expect(imageLoadSpec({ method: "registry", registry: "127.0.0.1:5000" })).toBe("registry:127.0.0.1:5000");
    expect(imageLoadSpec({ method: "none" })).toBe("none");
  });

  it("configures the platform: defaults on kind, the built-in cluster as `existing` with stand-in images", () => {
    expect(platformConfig({ provider: "kind" })).toEqual({ "reporunner:stack": { value: "platform" } });
    const config = platformConfig({
      provider: "builtin",
      env: { KUBECONFIG: "/k", KUBE_CONTEXT: "c", CONTAINERD_ADDRESS: "/run/containerd.sock" },
    });
    const parsed = parsePlatformConfig(
      Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace("reporunner:", ""), v.value])),
    );
    expect(parsed.cluster).toMatchObject({ provider: "existing", kubeconfig: "/k", imageLoad: "containerd" });
    expect(parsed.services.gateway).toEqual({ enabled: true, image: "reporunner-standin/nginx:1" });
    expect(parsed.services.mongodb).toEqual({
      enabled: true,
      image: "reporunner-standin/mongodb:ferretdb-1.24",
    });
    expect(parsed.services.kafka).toEqual({ enabled: true, image: "reporunner-standin/kafka:4.1.0" });
    expect(parsed.services.rabbitmq).toEqual({ enabled: true, image: "reporunner-standin/rabbitmq:3.10" });
    // The tracing pair, tagged with the versions builtin-cluster/build/29-otel-collector.sh and 30-jaeger.sh build.
    const versions = fs.readFileSync(
      path.join(__dirname, "..", "..", "..", "builtin-cluster", "versions.env"),
      "utf8",
    );
    const collector = /^OTEL_COLLECTOR_VERSION=v(\S+)$/m.exec(versions)![1];
    const jaeger = /^JAEGER_VERSION=v(\S+)$/m.exec(versions)![1];
    expect(parsed.services.otelCollector).toMatchObject({
      enabled: true,
      image: `reporunner-standin/otel-collector:${collector}`,
    });
    expect(parsed.services.jaeger).toMatchObject({
      enabled: true,
      image: `reporunner-standin/jaeger:${jaeger}`,
    });
  });
});

describe("the platform on kind as built here", () => {
  it("gives kind its node image, its environment and the stand-in images to preload", () => {
    const here = {
      cliEnvironment: {
        PATH: "/w/bin:/k/bin",
        DOCKER_HOST: "unix:///d.sock",
        KIND_EXPERIMENTAL_DOCKER_NETWORK: "bridge",
      },
      nodeImage: "reporunner/kind-node:v1.34.4",
    };
    const config = platformConfig({ provider: "kind", here });
    const parsed = parsePlatformConfig(
      Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace("reporunner:", ""), v.value])),
    );
    expect(parsed.cluster).toMatchObject({
      provider: "kind",
      name: "reporunner",
      workers: 1,
      nodeImage: "reporunner/kind-node:v1.34.4",
      cliEnvironment: here.cliEnvironment,
    });
    // Every service's stand-in is preloaded, so no pod of the platform waits on a pull.
    const images = Object.values(parsed.services)
      .map((service) => service.image)
      .filter(Boolean);
    expect(images.length).toBe(7);
    expect(new Set(parsed.cluster.preloadImages)).toEqual(new Set(images));
  });

  it("knows Docker cannot run privileged nodes when CAP_SYS_RESOURCE is outside the bounding set", () => {
    const status = (bounding: string) => {
      const file = path.join(home(), "status");
      fs.writeFileSync(file, `Name:\tnode\nCapBnd:\t${bounding}\nCapAmb:\t0000000000000000\n`);
      return file;
    };
    expect(privilegedContainersWork(status("000001ffffffffff"))).toBe(true);
    expect(privilegedContainersWork(status("000001fffeffffff"))).toBe(false);
  });
});

describe("secret files in the home folder", () => {
  it("are created once, readable by the user only, and keep their value", () => {
    const file = path.join(home(), "token");
    const first = readOrCreateSecret(file, () => "one");
    expect(readOrCreateSecret(file, () => "two")).toBe(first);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it("are refused, with the chmod to run, when others can read them", () => {
    const file = path.join(home(), "passphrase");
    fs.writeFileSync(file, "x\n", { mode: 0o644 });
    expect(() => readOrCreateSecret(file, () => "y")).toThrow(`run chmod 600 ${file}`);
  });
});
