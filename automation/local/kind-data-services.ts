import pino from "pino";
import { KubernetesForwarder } from "../previews/pod-forwarder";
import { openPreviewListener, type PreviewListener } from "../previews/preview-listener";

/**
 * On kind, the platform's Redis and MongoDB live inside the cluster. The Run API on this machine
 * reaches them through local listeners forwarded into the cluster (the same forwarding as local
 * previews), on their usual ports when free; their URLs keep the generated credentials.
 */
export async function kindDataServices(
  kubeconfigPath: string,
  outputs: { infraNamespace: string; endpoints?: unknown },
): Promise<{ mongodbUrl: string; redisUrl: string; release: () => Promise<void> }> {
  const endpoints = (outputs.endpoints ?? {}) as { redis?: string; mongodb?: string };
  if (!endpoints.redis || !endpoints.mongodb) {
    throw new Error("the platform stack has Redis or MongoDB switched off; the Run API needs both");
  }
  const forwarder = new KubernetesForwarder(kubeconfigPath);
  const logger = pino({ level: "warn" });
  const listeners: PreviewListener[] = [];
  const forward = async (name: string, port: number) => {
    const listener = await openPreviewListener(
      {
        key: `platform/${name}`,
        runId: "platform",
        name,
        namespace: outputs.infraNamespace,
        service: name,
        port,
      },
      forwarder,
      logger,
    );
    listeners.push(listener);
    return listener.port;
  };
  const local = (url: string, port: number, database?: string) => {
    const parsed = new URL(url);
    parsed.hostname = "127.0.0.1";
    parsed.port = String(port);
    if (database) parsed.pathname = `/${database}`;
    return parsed.toString();
  };
  return {
    redisUrl: local(endpoints.redis, await forward("redis", 6379)),
    mongodbUrl: local(endpoints.mongodb, await forward("mongodb", 27017), "reporunner"),
    release: async () => {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
