import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnNativeOrFree } from "../../../automation/previews/port-choice";
import { freePort } from "../../support/services";

const servers: Server[] = [];
const server = () => {
  const s = createServer();
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Something else on the machine holding `port` on `host`. */
const occupy = (port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server().once("error", reject).listen(port, host, resolve);
  });

describe("listenOnNativeOrFree", () => {
  it("listens on the native port on 127.0.0.1 when it is free", async () => {
    const native = await freePort();
    const s = server();
    expect(await listenOnNativeOrFree(s, native)).toBe(native);
    expect(s.address()).toMatchObject({ address: "127.0.0.1", port: native });
  });

  it("falls back to another free port when another program holds the native one", async () => {
    const native = await freePort();
    await occupy(native, "127.0.0.1");
    const port = await listenOnNativeOrFree(server(), native);
    expect(port).not.toBe(native);
    expect(port).toBeGreaterThan(0);
  });

  it("falls back when the native port is taken on ::1, where `localhost` may resolve first", async () => {
    const native = await freePort();
    await occupy(native, "::1");
    expect(await listenOnNativeOrFree(server(), native)).not.toBe(native);
  });

  it("gives two previews asking for the same native port two different ports, the first the native one", async () => {
    const native = await freePort();
    const first = await listenOnNativeOrFree(server(), native);
    const second = await listenOnNativeOrFree(server(), native);
    expect(first).toBe(native);
    expect(second).not.toBe(native);
  });

  it("takes a free port for a port that is no port at all", async () => {
    expect(await listenOnNativeOrFree(server(), 0)).toBeGreaterThan(0);
    expect(await listenOnNativeOrFree(server(), 70_000)).toBeGreaterThan(0);
  });
});
