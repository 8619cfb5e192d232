import * as http from "node:http";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForPreviews } from "../../../automation/engine/preview-check";
import { GATEWAY_ANSWER_HEADER } from "../../../components/gateway/routes";

/** A server that accepts connections and never says a word, as Redis or Postgres do to an HTTP client. */
let silent: net.Server;
const sockets: net.Socket[] = [];
let url: string;
/** A port nothing listens on. */
let closedUrl: string;

beforeAll(async () => {
  silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedUrl = `http://127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe("waitForPreviews", () => {
  it("passes a TCP preview that accepts a connection but never answers HTTP (Redis, Postgres)", async () => {
    expect(await waitForPreviews({ redis: url }, 2_000, undefined, { redis: "tcp" })).toEqual([]);
  });

  it("fails an HTTP preview that does not answer HTTP, and a TCP preview nothing listens on", async () => {
    expect(await waitForPreviews({ web: closedUrl, db: closedUrl }, 1_200, undefined, { db: "tcp" })).toEqual(
      [closedUrl, closedUrl],
    );
  });

  it("waits while the preview gateway answers for the app, and passes once the app answers through it", async () => {
    let routed = false;
    const gateway = http.createServer((_req, res) => {
      if (!routed) res.setHeader(GATEWAY_ANSWER_HEADER, "unreachable");
      res.statusCode = routed ? 200 : 404;
      res.end(routed ? "hello" : "no preview app in run-x: not ready yet");
    });
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    const at = `http://127.0.0.1:${(gateway.address() as net.AddressInfo).port}/run-x/app/`;
    try {
      expect(await waitForPreviews({ app: at }, 800)).toEqual([at]);
      setTimeout(() => (routed = true), 300);
      expect(await waitForPreviews({ app: at }, 5_000)).toEqual([]);
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});
