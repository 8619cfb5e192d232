/**
 * The OpenAPI document and the server agree (the places a Schemathesis run found them apart; the
 * whole run is `test/integration/api/contract-fuzz.test.ts`).
 */
import * as http from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { methodNotAllowed } from "../../../automation/api/method-not-allowed";
import { openApiDocument } from "../../../automation/api/openapi";
import {
  type ApiContract,
  createRunSchemaFor,
  extendRunSchemaFor,
  lastEventIdSchema,
  listRunsQuerySchema,
} from "../../../automation/api/schemas";
import { parseOr } from "../../../automation/api/validate";
import { EXTENDABLE } from "../../../automation/runs/states";
import { PAGE_CURSOR } from "../../../automation/runs/store";

const strict: ApiContract = {
  urlPolicy: { allowHttp: false, allowPrivateTargets: false, allowLocalSources: false },
  maxTtlSeconds: 86_400,
};
const lab: ApiContract = {
  urlPolicy: { allowHttp: true, allowPrivateTargets: true, allowLocalSources: true },
  maxTtlSeconds: 86_400,
};
const doc: any = openApiDocument(strict);
const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ label: `${method.toUpperCase()} ${path}`, op })),
);

/** Every `pattern` in a JSON value. */
function patterns(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(patterns);
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) =>
      k === "pattern" && typeof v === "string" ? [v] : patterns(v),
    );
  }
  return [];
}

describe("the document's patterns", () => {
  it("are ones every regex dialect can use: no \\p{…} classes, no surrogates", () => {
    const all = patterns(doc).concat(patterns(openApiDocument(lab)));
    expect(all.length).toBeGreaterThan(5);
    for (const p of all) {
      expect(p).not.toMatch(/\\p\{|\\ud[89a-f]/i);
      expect(() => new RegExp(p)).not.toThrow();
    }
  });

  it("are the server's: cursor, Last-Event-ID, repoUrl, ttl", () => {
    const list = doc.paths["/runs"].get.parameters;
    expect(list.find((p: any) => p.name === "cursor").schema.pattern).toBe(PAGE_CURSOR.source);
    const events = doc.paths["/runs/{id}/events"].get.parameters;
    const lastEventId = events.find((p: any) => p.name === "Last-Event-ID").schema;
    expect(new RegExp(lastEventId.pattern).test("1700000000000-0")).toBe(true);
    const body = doc.components.schemas.CreateRun.properties;
    expect(body.ttl.maximum).toBe(86_400);
    expect(new RegExp(body.repoUrl.pattern, "u").test("https://github.com/org/repo.git")).toBe(true);
  });
});

describe("schema-valid requests the server used to refuse", () => {
  it("takes every cursor of the published shape, and refuses others by the schema (400 naming cursor)", () => {
    expect(listRunsQuerySchema.safeParse({ cursor: "1700000000000-abcdefgh" }).success).toBe(true);
    for (const cursor of ["0", "bm90LWEtY3Vyc29y", "1-ABCDEFGH"]) {
      expect(() => parseOr(listRunsQuerySchema, { cursor }, "query")).toThrow(
        expect.objectContaining({ status: 400, field: "cursor" }),
      );
    }
  });

  it("publishes Last-Event-ID's shape and bounds each part to 64 bits (Redis' stream ids)", () => {
    for (const ok of ["", "0-0", "1700000000000-3", "9999999999999999999-9999999999999999999"])
      expect(lastEventIdSchema.safeParse(ok).success).toBe(true);
    for (const bad of ["x", "1", "1-", "18446744073709551616-0", "1-0 "])
      expect(lastEventIdSchema.safeParse(bad).success).toBe(false);
  });

  it("reads `status=` as one empty state name and refuses it, as the form style says", () => {
    expect(listRunsQuerySchema.safeParse({ status: "" }).success).toBe(false);
    expect(listRunsQuerySchema.parse({ status: "READY,FAILED" }).status).toEqual(["READY", "FAILED"]);
  });
});

describe("repoUrl under a contract", () => {
  const strictBody = createRunSchemaFor(strict);
  const labBody = createRunSchemaFor(lab);
  const accepts = (schema: typeof strictBody, repoUrl: string) => schema.safeParse({ repoUrl }).success;

  it.each([
    "https://github.com/org/repo.git",
    "https://git.example.test:8443/o/r",
    "https://x/y",
    "https://GitHub.com/Org/Repo",
  ])("accepts %j everywhere", (url) => {
    expect(accepts(strictBody, url)).toBe(true);
    expect(accepts(labBody, url)).toBe(true);
  });

  it.each([
    "https://127.0.0.1/o/r",
    "https://0/o/r",
    "https://0x7f.1/o/r",
    "https://2130706433/o/r",
    "https://[::1]/o/r",
    "http://github.com/o/r",
    "https://github.com:0/o/r",
    "https://github.com:65536/o/r",
    "https://u:p@github.com/o/r",
    "https://github.com/o/r?x=1",
    "https://github.com/o/r#f",
    "https://github.com/o r",
    "https://github.com/o\\r",
    "https://github.com/\u00fc",
  ])("refuses %j when private targets, http and local sources are off", (url) => {
    expect(accepts(strictBody, url)).toBe(false);
  });

  it("accepts IP literals, http and local paths where the configuration does", () => {
    expect(accepts(labBody, "http://127.0.0.1:8080/o/r")).toBe(true);
    expect(accepts(labBody, "/home/me/My Projects/app")).toBe(true);
    expect(accepts(labBody, "file:///home/me/app")).toBe(true);
    expect(accepts(labBody, "/home/me/tab\there")).toBe(false);
  });

  it("says how to turn local sources on, with its own code", () => {
    expect(() => parseOr(strictBody, { repoUrl: "/home/me/app" }, "body")).toThrow(
      expect.objectContaining({
        status: 400,
        code: "local_sources_disabled",
        field: "repoUrl",
        message: expect.stringContaining("REPORUNNER_ALLOW_LOCAL_SOURCES=true"),
      }),
    );
  });

  it("refuses a ttl above the server's maximum by the schema", () => {
    expect(() => parseOr(strictBody, { repoUrl: "https://x/y", ttl: 86_401 }, "body")).toThrow(
      expect.objectContaining({ status: 400, field: "ttl" }),
    );
  });
});

describe("extending a run", () => {
  const body = extendRunSchemaFor(strict);

  it("takes a ttl within the bounds of a new run's, counted in whole seconds", () => {
    expect(body.parse({ ttl: 60 })).toEqual({ ttl: 60 });
    expect(body.parse({ ttl: 86_400 })).toEqual({ ttl: 86_400 });
    for (const ttl of [59, 86_401, 1.5, "3600"]) {
      expect(() => parseOr(body, { ttl }, "body"), String(ttl)).toThrow(
        expect.objectContaining({ status: 400, field: "ttl" }),
      );
    }
  });

  it("refuses a missing ttl and unknown fields, naming them", () => {
    expect(() => parseOr(body, {}, "body")).toThrow(expect.objectContaining({ status: 400, field: "ttl" }));
    expect(() => parseOr(body, { ttl: 600, ttlSeconds: 600 }, "body")).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  it("is declared with the server's maximum, the Run it returns, and 400/401/404/409/415", () => {
    const op = doc.paths["/runs/{id}/extend"].post;
    expect(op.operationId).toBe("extendRun");
    expect(doc.components.schemas.ExtendRun.properties.ttl).toMatchObject({ minimum: 60, maximum: 86_400 });
    expect(doc.components.schemas.ExtendRun.required).toEqual(["ttl"]);
    expect(op.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Run",
    });
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(["400", "401", "404", "409", "415", "429", "503"]),
    );
  });

  it("is allowed in every state but DESTROYING and the final ones", () => {
    expect(EXTENDABLE).toEqual([
      "QUEUED",
      "CLONING",
      "BUILDING",
      "DEPLOYING",
      "READY",
      "FAILED",
      "CANCELLED",
    ]);
  });
});

describe("declared answers", () => {
  it("declares 400 on every authenticated operation (a malformed header, parameter or path)", () => {
    for (const { label, op } of operations) {
      if (op.security?.length === 0) continue;
      expect(Object.keys(op.responses), label).toContain("400");
    }
  });

  it("declares 422 on redeploy, which checks the URL policy again", () => {
    expect(Object.keys(doc.paths["/runs/{id}/redeploy"].post.responses)).toContain("422");
  });

  it("describes each Server-Sent Event, with its JSON data", () => {
    const schema = doc.paths["/runs/{id}/events"].get.responses["200"].content["text/event-stream"].schema;
    expect(schema.oneOf.map((s: any) => s.properties.event.const)).toEqual(["state", "output"]);
  });
});

describe("methods the document does not declare", () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use(methodNotAllowed(doc));
    app.use((_req, res) => void res.status(418).end());
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("answers 405 with Allow on a declared path, before any authentication", async () => {
    for (const [method, path, allow] of [
      ["PATCH", "/runs", "POST, GET, HEAD, OPTIONS"],
      ["POST", "/healthz", "GET, HEAD, OPTIONS"],
      ["PUT", "/runs/abcdefgh", "GET, DELETE, HEAD, OPTIONS"],
      ["GET", "/runs/abcdefgh/cancel", "POST, OPTIONS"],
      ["PUT", "/runs/abcdefgh/extend", "POST, OPTIONS"],
      ["DELETE", "/RUNS/abcdefgh/logs/", "GET, HEAD, OPTIONS"],
    ]) {
      const res = await fetch(base + path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      const body = (await res.json()) as { error: unknown };
      expect(body.error).toMatchObject({ code: "method_not_allowed", field: "method" });
    }
  });

  it("answers OPTIONS with 204 and Allow, and lets declared methods and unknown paths through", async () => {
    const options = await fetch(`${base}/runs`, { method: "OPTIONS" });
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("POST, GET, HEAD, OPTIONS");
    expect((await fetch(`${base}/runs`)).status).toBe(418);
    expect((await fetch(`${base}/runs/abcdefgh`, { method: "HEAD" })).status).toBe(418);
    expect((await fetch(`${base}/elsewhere`, { method: "PATCH" })).status).toBe(418);
  });
});

describe("fields named in errors", () => {
  it("names the query when the unknown parameter has an empty name (`?=x`, found by the fuzz)", () => {
    expect(() => parseOr(listRunsQuerySchema, { "": "x" }, "query")).toThrow(
      expect.objectContaining({ status: 400, field: "query" }),
    );
  });
});

describe("ref", () => {
  const published: string[] = doc.components.schemas.CreateRun.properties.ref.allOf.map(
    (p: any) => p.pattern,
  );
  const matches = (ref: string) => published.every((p) => new RegExp(p).test(ref));

  it.each(["-upload-pack=x", "a..b", "refs//x", "x.lock", "x.", "x/", "/abs", "a b", "ü"])(
    "is refused by the published patterns as by the server: %j",
    (ref) => {
      expect(matches(ref)).toBe(false);
      expect(createRunSchemaFor(strict).safeParse({ repoUrl: "https://x/y", ref }).success).toBe(false);
    },
  );

  it.each(["main", "v1.2.3", "feature/x-y_z", "tPqMR4KuKA"])("is accepted by both: %j", (ref) => {
    expect(matches(ref)).toBe(true);
    expect(createRunSchemaFor(strict).safeParse({ repoUrl: "https://x/y", ref }).success).toBe(true);
  });
});
