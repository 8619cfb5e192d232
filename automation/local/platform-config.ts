import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import type { KindHere } from "./kind-here";

/** A version the built-in cluster builds, from `builtin-cluster/versions.env` (without its `v`). */
export function builtinVersion(name: string): string {
  const file = path.join(__dirname, "..", "..", "builtin-cluster", "versions.env");
  const version = new RegExp(`^${name}=v?(\\S+)$`, "m").exec(readFileSync(file, "utf8"))?.[1];
  if (!version) throw new Error(`builtin-cluster/versions.env has no ${name}`);
  return version;
}

/**
 * Stand-in images the test environment builds (testenv/images/build-standins.sh): Debian's redis-server,
 * nginx and rabbitmq-server, Apache Kafka's jars from Maven Central, FerretDB for MongoDB (no MongoDB
 * server is served there), and the OpenTelemetry Collector and Jaeger v2 built from their Go modules.
 */
export function standinImages() {
  return {
    redis: "reporunner-standin/redis:7",
    gateway: "reporunner-standin/nginx:1",
    mongodb: "reporunner-standin/mongodb:ferretdb-1.24",
    kafka: "reporunner-standin/kafka:4.1.0",
    rabbitmq: "reporunner-standin/rabbitmq:3.10",
    otelCollector: `reporunner-standin/otel-collector:${builtinVersion("OTEL_COLLECTOR_VERSION")}`,
    jaeger: `reporunner-standin/jaeger:${builtinVersion("JAEGER_VERSION")}`,
  };
}

/** Services' images as the platform config's `services` key. */
function servicesOn(images: Readonly<Record<string, string>>): ConfigMap[string] {
  return {
    value: JSON.stringify(
      Object.fromEntries(Object.entries(images).map(([service, image]) => [service, { image }])),
    ),
  };
}

/** The cluster `up` chose, as far as the platform stack's settings depend on it. */
export type PlatformTarget =
  | { readonly provider: "kind"; readonly here?: KindHere }
  | { readonly provider: "builtin"; readonly env: Readonly<Record<string, string>> };

/**
 * The `dev` platform stack's settings for the cluster `up` chose.
 * - kind: the defaults (every service, kind cluster `reporunner`); on a machine like this one
 *   (`kind-here.ts`) also the node image made here, kind's environment, and every service on its
 *   stand-in image, preloaded into the nodes.
 * - The test environment: its cluster as `existing`, images loaded into its containerd, every
 *   service on its stand-in image; the Run API uses the environment's own Redis and FerretDB.
 */
export function platformConfig(target: PlatformTarget): ConfigMap {
  const config: ConfigMap = { "reporunner:stack": { value: "platform" } };
  if (target.provider === "kind") {
    const here = target.here;
    if (!here) return config;
    return {
      ...config,
      "reporunner:cluster": {
        value: JSON.stringify({
          provider: "kind",
          nodeImage: here.nodeImage,
          cliEnvironment: here.cliEnvironment,
          // Nothing can be pulled: every service's stand-in goes into the nodes first.
          preloadImages: Object.values(standinImages()),
        }),
      },
      "reporunner:services": servicesOn(standinImages()),
    };
  }
  const builtin = target.env;
  return {
    ...config,
    "reporunner:cluster": {
      value: JSON.stringify({
        provider: "existing",
        kubeconfig: builtin.KUBECONFIG,
        context: builtin.KUBE_CONTEXT,
        imageLoad: "containerd",
        containerdAddress: builtin.CONTAINERD_ADDRESS,
      }),
    },
    "reporunner:services": servicesOn(standinImages()),
  };
}
