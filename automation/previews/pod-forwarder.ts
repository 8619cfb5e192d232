/**
 * Carries one local connection into the cluster: resolves the Service to a Ready pod, then
 * port-forwards to it through the API server (`@kubernetes/client-node`'s PortForward, a WebSocket),
 * so no NodePort or gateway has to reach this machine.
 */
import type { Socket } from "node:net";
import { Writable } from "node:stream";
import type { CoreV1Api, PortForward } from "@kubernetes/client-node";
import { labelSelectorOf, pickPodPort, type PodPort } from "./service-pods";

/** Where a connection goes: a Service port in a namespace. */
export interface ForwardTarget {
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
}

/** Joins a local socket to a preview; local previews' only way into the cluster (tests fake it). */
export interface PreviewForwarder {
  /** Resolves once the socket is joined; rejects (the caller drops the socket) when it cannot be. */
  forward(socket: Socket, target: ForwardTarget): Promise<void>;
}

/** The part of the WebSocket PortForward returns that the forwarder uses. */
interface ForwardSocket {
  close(): void;
  on(event: "close" | "error", listener: () => void): unknown;
}

/** `PreviewForwarder` through the Kubernetes API of a kubeconfig. */
export class KubernetesForwarder implements PreviewForwarder {
  private clients: Promise<{ core: CoreV1Api; portForward: PortForward }> | undefined;

  /**
   * `kubeconfig`: a file (default kubectl's: `$KUBECONFIG`, then `~/.kube/config`), read at the first
   * connection, so that a server whose cluster is not there yet still starts.
   */
  constructor(private readonly kubeconfig?: string) {}

  /** The clients, made at the first connection: the Kubernetes client (~70 MiB) loads only then. */
  private connect() {
    if (!this.clients) {
      this.clients = import("@kubernetes/client-node").then(({ CoreV1Api, KubeConfig, PortForward }) => {
        const config = new KubeConfig();
        if (this.kubeconfig) config.loadFromFile(this.kubeconfig);
        else config.loadFromDefault();
        // false: a message on the error channel goes to `err` (which drops the connection), not a close.
        return { core: config.makeApiClient(CoreV1Api), portForward: new PortForward(config, false) };
      });
      // A kubeconfig that is not there yet is read again at the next connection.
      this.clients.catch(() => (this.clients = undefined));
    }
    return this.clients;
  }

  /** A Ready pod behind the Service and its container port, looked up afresh each time. */
  async resolve(target: ForwardTarget): Promise<PodPort> {
    const { core } = await this.connect();
    const service = await core.readNamespacedService({
      name: target.service,
      namespace: target.namespace,
    });
    const pods = await core.listNamespacedPod({
      namespace: target.namespace,
      labelSelector: labelSelectorOf(service),
    });
    return pickPodPort(service, pods.items, target.port);
  }

  async forward(socket: Socket, target: ForwardTarget): Promise<void> {
    const { pod, port } = await this.resolve(target);
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // The channel opens with an empty message (its port number, stripped); anything else is the
        // pod refusing or dropping the connection.
        if (chunk.length === 0) return done();
        socket.destroy(new Error(chunk.toString("utf8").trim()));
        done();
      },
    });
    const ws = (await (
      await this.connect()
    ).portForward.portForward(
      target.namespace,
      pod,
      [port],
      socket,
      errors,
      socket,
    )) as unknown as ForwardSocket;
    // The pod's end closed: let the client read what is left, then close. The client's end closing
    // (or failing) closes the WebSocket, which ends the pod's connection.
    ws.on("close", () => socket.end());
    ws.on("error", () => socket.destroy());
    if (socket.destroyed) ws.close();
    else socket.once("close", () => ws.close());
  }
}
