import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLog } from "../../../automation/api/request-log";

/** One line per answered request, with what identifies it and nothing a client sent besides. */
let lines: Record<string, unknown>[] = [];
let url: string;
let server: ReturnType<express.Express["listen"]>;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")));
      done();
    },
  });
  const app = express();
  app.use(requestLog(pino({ level: "info" }, sink)));
  app.get("/runs/:id", (_req, res) => void res.json({ ok: true }));
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/broken", (_req, res) => void res.status(500).json({}));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((r) => server.close(r)));

/** Waits for the line the request's close event writes. */
async function loggedAfter(path: string, headers: Record<string, string> = {}) {
  lines = [];
  await (await fetch(`${url}${path}`, { headers })).text();
  for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return lines;
}

describe("requestLog", () => {
  it("logs method, path and status, never the query or the headers", async () => {
    const [line] = await loggedAfter("/runs/abc12345?token=secret-query", {
      authorization: "Bearer secret-token",
    });
    expect(line).toMatchObject({
      level: 30,
      msg: "request completed",
      req: { method: "GET", url: "/runs/abc12345" },
      res: { statusCode: 200 },
    });
    expect(typeof (line!.req as { id: unknown }).id).toBe("number");
    expect(JSON.stringify(line)).not.toMatch(/secret/);
  });

  it("logs a server fault at error level", async () => {
    const [line] = await loggedAfter("/broken");
    expect(line).toMatchObject({ level: 50, msg: "request errored", res: { statusCode: 500 } });
  });

  it("leaves the probes out", async () => {
    expect(await loggedAfter("/healthz")).toEqual([]);
  });

  it("numbers the requests", async () => {
    const [a] = await loggedAfter("/runs/a");
    const [b] = await loggedAfter("/runs/b");
    expect((b!.req as { id: number }).id).toBe((a!.req as { id: number }).id + 1);
  });
});
