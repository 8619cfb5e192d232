/**
 * Hostile input: hundreds of generated requests (bad JSON, wrong types, huge bodies, bad or internal
 * URLs, odd unicode, injection strings, bad headers and parameters). Every answer is a 4xx JSON error
 * naming the field, never a 5xx; the server stays up and nothing stored changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS_STREAM } from "../../../automation/bus/job-queue";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ REPORUNNER_BODY_LIMIT_BYTES: "16384" });
});
afterAll(async () => {
  await h?.close();
});

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly token?: string | null;
  /** The field the answer must name (default: any non-empty field). */
  readonly field?: string;
}

const good = { repoUrl: "https://git.example.test/org/app.git" };

const INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE runs; --',
  "$(id)",
  "`id`",
  "; rm -rf / #",
  "| cat /etc/passwd",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "--upload-pack=touch /tmp/pwned",
  "-oProxyCommand=touch /tmp/x",
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "%00",
  "\u0000",
  "a\r\nX-Injected: 1",
  "__proto__",
  "constructor",
  "$where",
  "\\x00\\x01",
];

const ODD_UNICODE = [
  "\u202eevil\u202c",
  "\u2066isolate\u2069",
  "zero\u200bwidth\u0007bell",
  "\ud800",
  "\udfff",
  "nul\u0000byte",
  "tab\there",
  "line\nbreak",
  "del\u007f",
  "\u0085next-line",
];

const BAD_URLS = [
  "http://git.example.test/o/r",
  "ftp://git.example.test/o/r",
  "file:///etc/passwd",
  "javascript:alert(1)",
  "data:text/plain,hi",
  "ssh://git@git.example.test/o/r",
  "git@git.example.test:o/r.git",
  "//git.example.test/o/r",
  "https://",
  "https:///path",
  "https://user:pass@git.example.test/o/r",
  "https://ghp_secrettoken@git.example.test/o/r",
  "https://localhost/o/r",
  "https://127.0.0.1/o/r",
  "https://127.1/o/r",
  "https://2130706433/o/r",
  "https://0x7f000001/o/r",
  "https://0177.0.0.1/o/r",
  "https://0.0.0.0/o/r",
  "https://10.0.0.1/o/r",
  "https://172.16.0.1/o/r",
  "https://192.168.1.1/o/r",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.64.0.1/o/r",
  "https://[::1]/o/r",
  "https://[::]/o/r",
  "https://[fe80::1]/o/r",
  "https://[fd00::1]/o/r",
  "https://[::ffff:127.0.0.1]/o/r",
  "https://[::ffff:169.254.169.254]/o/r",
  "https://metadata.internal.test/o/r",
  "https://db.v6internal.test/o/r",
  "https://gone.nxdomain.test/o/r",
  "https://git.example.test/o/r?token=abc",
  "https://git.example.test/o/r#frag",
  "https://git.example.test/o r",
  "https://git.example.test/o/r\r\nHost: evil",
  "https://git.example.test/" + "a".repeat(2100),
  "not a url",
  "",
  " ",
  "https://git.example.test/\u202eexe.txt",
];

function cases(): Case[] {
  const list: Case[] = [];
  const post = (name: string, body: unknown, field?: string) => list.push({ name, body, field });
  const raw = (name: string, text: string | Buffer, headers?: Record<string, string>, field = "body") =>
    list.push({ name, raw: text, headers: { "content-type": "application/json", ...headers }, field });

  // Bad JSON.
  for (const text of [
    "{",
    "}",
    '{"repoUrl":}',
    "{'repoUrl':'x'}",
    '{"repoUrl":"https://git.example.test/o/r",}',
    '{"repoUrl" "x"}',
    "[1,2",
    "NaN",
    "undefined",
    '{"repoUrl":"\\x41"}',
    '{"repoUrl":"unterminated}',
    "\u0000",
    "nul\u0000{}",
    '{"a":1}{"b":2}',
    '{"repoUrl":"https://git.example.test/o/r"} trailing',
    '{"repoUrl":01}',
    '{"ttl":1e999999}x',
    "\ufeff\ufeff{}",
    "[".repeat(5000),
    '{"repoUrl":"' + "\\u00".repeat(10) + '"}',
  ]) {
    raw(`bad JSON ${JSON.stringify(text.slice(0, 30))}`, text);
  }
  // A body that is not an object.
  for (const v of [null, 0, 1, -1, "string", true, false, [], [good], 1.5])
    post(`body ${JSON.stringify(v)}`, v, "body");
  // Wrong types, field by field.
  const wrong: unknown[] = [null, 0, 12.5, true, [], {}, [1], { $gt: "" }, { $ne: null }, ""];
  for (const field of ["repoUrl", "ref", "mode", "ttl", "env"]) {
    for (const v of wrong) {
      if (
        field === "env" &&
        typeof v === "object" &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).length === 0
      )
        continue;
      if (field === "env" && JSON.stringify(v) === '{"$ne":null}') continue; // checked below as a key
      post(`${field} = ${JSON.stringify(v)}`, { ...good, [field]: v }, field === "env" ? undefined : field);
    }
  }
  for (const v of [59, 0, -5, 3.5, 10 ** 12, "3600", Number.MAX_SAFE_INTEGER + 2])
    post(`ttl ${v}`, { ...good, ttl: v }, "ttl");
  for (const v of ["helm", "AUTO", "", "compose ", "auto\u0000"])
    post(`mode ${JSON.stringify(v)}`, { ...good, mode: v }, "mode");
  // Unknown fields.
  for (const k of ["extra", "owner", "status", "id", "__proto__", "constructor", "$where", "repourl"]) {
    raw(`unknown field ${k}`, JSON.stringify({ ...good }).replace("{", `{"${k}":1,`), {}, k);
  }
  // Bad or internal URLs.
  for (const url of BAD_URLS)
    post(`repoUrl ${JSON.stringify(url.slice(0, 60))}`, { repoUrl: url }, "repoUrl");
  // Injection strings in each string field.
  for (const s of INJECTIONS) {
    post(`repoUrl injection ${JSON.stringify(s)}`, { repoUrl: s }, "repoUrl");
    // "constructor" and "__proto__" are valid git refs (and harmless as strings); any other is refused.
    if (!["constructor", "__proto__"].includes(s))
      post(`ref injection ${JSON.stringify(s)}`, { ...good, ref: s }, "ref");
    post(`env key injection ${JSON.stringify(s)}`, { ...good, env: { [s]: "v" } });
  }
  // Odd unicode where it must be refused.
  for (const s of ODD_UNICODE) {
    post(`ref unicode ${JSON.stringify(s)}`, { ...good, ref: s }, "ref");
    post(`env value unicode ${JSON.stringify(s)}`, { ...good, env: { K: s } }, "env.K");
    post(`env key unicode ${JSON.stringify(s)}`, { ...good, env: { [s]: "v" } });
    post(`repoUrl unicode ${JSON.stringify(s)}`, { repoUrl: `https://git.example.test/${s}` }, "repoUrl");
  }
  raw(
    "invalid UTF-8 in ref",
    Buffer.concat([
      Buffer.from('{"repoUrl":"https://git.example.test/o","ref":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]),
    {},
    "ref",
  );
  // Sizes.
  post(
    "too many env entries",
    { ...good, env: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`K${i}`, "v"])) },
    "env",
  );
  post("env value too long", { ...good, env: { K: "v".repeat(4097) } }, "env.K");
  post("ref too long", { ...good, ref: "a".repeat(201) }, "ref");
  for (const size of [16_385, 100_000, 1_000_000, 5_000_000]) {
    raw(`body of ${size} bytes`, JSON.stringify({ ...good, env: { K: "x".repeat(size) } }));
  }
  // Content types and encodings.
  for (const ct of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
  ]) {
    list.push({
      name: `content-type ${ct}`,
      raw: JSON.stringify(good),
      headers: { "content-type": ct },
      field: "body",
    });
  }
  list.push({ name: "no body, no content-type", field: "body" });
  list.push({
    name: "json with charset latin1",
    raw: JSON.stringify(good),
    headers: { "content-type": "application/json; charset=koi8-r-x" },
    field: "body",
  });
  list.push({
    name: "gzip that is not",
    raw: "not gzip",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    field: "body",
  });
  list.push({
    name: "unknown content-encoding",
    raw: "{}",
    headers: { "content-type": "application/json", "content-encoding": "br2" },
    field: "body",
  });
  // Idempotency-Key.
  for (const key of ["x".repeat(201), "has space", "", 'quote"d key']) {
    list.push({
      name: `Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`,
      body: good,
      headers: { "idempotency-key": key },
      field: "Idempotency-Key",
    });
  }
  // Authentication.
  for (const auth of [
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWxpY2U6cHc=",
    "Bearer wrong-token",
    `bearer ${TOKENS.alice}`,
    `Bearer ${TOKENS.alice} extra`,
    `Bearer ${"x".repeat(600)}`,
  ]) {
    list.push({
      name: `authorization ${JSON.stringify(auth?.slice(0, 30))}`,
      body: good,
      token: null,
      headers: auth === undefined ? {} : { authorization: auth },
      field: "authorization",
    });
  }
  // GET /runs parameters.
  for (const q of [
    "limit=0",
    "limit=101",
    "limit=abc",
    "limit=1.5",
    "status=BOGUS",
    "status=READY,nope",
    "cursor=!!!",
    "cursor=bm90LWEtY3Vyc29y",
    "unknown=1",
    "limit=1&limit=2",
    "status[$ne]=READY",
    `cursor=${"A".repeat(300)}`,
  ]) {
    list.push({ name: `GET /runs?${q.slice(0, 40)}`, method: "GET", path: `/runs?${q}` });
  }
  // Run ids and sub-resources.
  for (const id of [
    "ABCDEFGH",
    "short",
    "x".repeat(13),
    "..%2F..%2Fetc",
    "%00abcdefgh",
    "abc$defgh",
    "%E0%A4%A",
    "abcdefgh%0d%0a",
    "nonexist1",
  ]) {
    list.push({
      name: `GET /runs/${id}`,
      method: "GET",
      path: `/runs/${id}`,
      field: id === "%E0%A4%A" ? undefined : "id",
    });
    list.push({
      name: `DELETE /runs/${id}`,
      method: "DELETE",
      path: `/runs/${id}`,
      field: id === "%E0%A4%A" ? undefined : "id",
    });
    list.push({
      name: `POST /runs/${id}/cancel`,
      method: "POST",
      path: `/runs/${id}/cancel`,
      field: id === "%E0%A4%A" ? undefined : "id",
    });
  }
  // A method the document does not declare: 405 naming the method (with Allow).
  for (const m of ["PUT", "PATCH"])
    list.push({ name: `${m} /runs`, method: m, path: "/runs", body: good, field: "method" });
  list.push({ name: "unknown path", method: "GET", path: "/admin", field: "path" });
  return list;
}

async function countStored() {
  const db = h.server.runtime.mongo.db();
  return {
    runs: await db.collection("runs").countDocuments(),
    keys: await db.collection("runs").countDocuments({ idempotency: { $exists: true } }),
    jobs: await h.server.runtime.redis.xlen(JOBS_STREAM),
  };
}

describe("hostile input", () => {
  const all = cases();

  it("generates at least 200 cases", () => {
    expect(all.length).toBeGreaterThanOrEqual(200);
  });

  it("answers every case with a 4xx JSON error naming the field, never a 5xx, and stores nothing", async () => {
    const before = await countStored();
    const failures: string[] = [];
    for (const c of all) {
      const res = await h.call(c.method ?? "POST", c.path ?? "/runs", {
        token: c.token === undefined ? TOKENS.alice : c.token,
        body: c.body,
        raw: c.raw,
        headers: c.headers,
      });
      const field = res.body?.error?.field;
      const ok =
        res.status >= 400 &&
        res.status < 500 &&
        (res.headers.get("content-type") ?? "").startsWith("application/json") &&
        typeof res.body?.error?.code === "string" &&
        typeof res.body?.error?.message === "string" &&
        typeof field === "string" &&
        field.length > 0 &&
        (c.field === undefined || field === c.field);
      if (!ok) failures.push(`${c.name}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(await countStored()).toEqual(before);
    const health = await h.call("GET", "/healthz", { token: null });
    expect(health.status).toBe(200);
  });

  it("still serves a valid request afterwards", async () => {
    const res = await h.call("POST", "/runs", { body: good });
    expect(res.status).toBe(202);
  });

  it("never echoes a hostile value into a response or writes it to the log as given", async () => {
    const res = await h.call("POST", "/runs", { body: { repoUrl: "<script>alert(1)</script>" } });
    expect(res.text).not.toContain("<script>");
  });
});
