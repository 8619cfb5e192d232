/**
 * Where a local preview listens: its native port on 127.0.0.1 when that is free, else a port the OS
 * picks, so that an app answers where its users expect it whenever it can.
 */
import { createServer, type Server } from "node:net";

/** Local previews listen on loopback only: they are for the person at this machine. */
export const PREVIEW_HOST = "127.0.0.1";

/** Errors after which another port is fine: taken, or below 1024 without the right to bind it. */
const FALL_BACK_ON = new Set(["EADDRINUSE", "EACCES"]);

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/**
 * Whether nothing else listens on [::1]:`port`. URLs say `localhost`, which browsers may resolve to
 * ::1 first: a local dev server there would answer instead of the preview. No IPv6 counts as free.
 */
async function freeOnIpv6Loopback(port: number): Promise<boolean> {
  const probe = createServer();
  try {
    await listen(probe, port, "::1");
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "EADDRINUSE";
  } finally {
    await new Promise<void>((r) => probe.close(() => r()));
  }
}

/**
 * Binds `server` to 127.0.0.1:`native`, or to a free port when `native` is taken (by another
 * program, or by another run's preview) or not bindable; resolves with the port it got.
 */
export async function listenOnNativeOrFree(server: Server, native: number): Promise<number> {
  if (Number.isInteger(native) && native > 0 && native <= 65535 && (await freeOnIpv6Loopback(native))) {
    try {
      return await listen(server, native, PREVIEW_HOST);
    } catch (err) {
      if (!FALL_BACK_ON.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
  }
  return listen(server, 0, PREVIEW_HOST);
}
