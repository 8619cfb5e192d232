import type { ConfigMap } from "@pulumi/pulumi/automation";

/** Stand-in images the test environment builds from Debian's programs (testenv/images/). */
const STANDIN_IMAGES = { redis: "reporunner-standin/redis:7", gateway: "reporunner-standin/nginx:1" };

/**
 * The `dev` platform stack's settings for the cluster `up` chose. kind: the defaults (every service,
 * kind cluster `reporunner`). The test environment: its cluster as `existing`, images loaded into its
 * containerd, and only the services that have a stand-in image, because that machine cannot pull
 * images; the Run API uses the environment's own Redis and FerretDB.
 */
export function platformConfig(
  provider: "kind" | "builtin",
  builtin?: Readonly<Record<string, string>>,
): ConfigMap {
  const config: ConfigMap = { "reporunner:stack": { value: "platform" } };
  if (provider === "kind" || !builtin) return config;
  const off = { enabled: false };
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
    "reporunner:services": {
      value: JSON.stringify({
        redis: { image: STANDIN_IMAGES.redis },
        gateway: { image: STANDIN_IMAGES.gateway },
        mongodb: off,
        kafka: off,
        rabbitmq: off,
        otelCollector: off,
        jaeger: off,
      }),
    },
  };
}
