/**
 * One local preview: a TCP listener on 127.0.0.1 whose every connection is forwarded to the run's
 * Service. Closing it also ends the connections in progress, so a destroyed run stops answering.
 */
import { createServer, type Socket } from "node:net";
import type { Logger } from "pino";
import type { PreviewForwarder } from "./pod-forwarder";
import { listenOnNativeOrFree } from "./port-choice";
import type { WantedPreview } from "./preview-plan";

/** An open local preview. */
export interface PreviewListener {
  readonly preview: WantedPreview;
  /** Where it listens on 127.0.0.1: the native port, or the one it fell back to. */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for `preview` (native port first) and forwards each connection with `forwarder`. */
export async function openPreviewListener(
  preview: WantedPreview,
  forwarder: PreviewForwarder,
  logger: Logger,
): Promise<PreviewListener> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", (err) => logger.debug({ err: err.message }, "local preview connection failed"));
    const { namespace, service, port } = preview;
    forwarder.forward(socket, { namespace, service, port }).catch((err: Error) => {
      logger.warn({ err: err.message }, "could not forward a local preview connection");
      socket.destroy();
    });
  });
  const port = await listenOnNativeOrFree(server, preview.localPort ?? preview.port);
  return {
    preview,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
