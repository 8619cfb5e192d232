/** Authentication, rate limit, secure headers, health probes, OpenAPI, and no secret in any log line. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ REPORUNNER_RATE_LIMIT_PER_MINUTE: "30" });
});
afterAll(async () => {
  await h?.close();
});

describe("security", () => {
  it("asks for a bearer token with 401 and WWW-Authenticate", async () => {
    const res = await h.call("GET", "/runs", { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(res.body.error).toMatchObject({ code: "unauthorized", field: "authorization" });
  });

  it("sends helmet's secure headers and no X-Powered-By", async () => {
    const res = await h.call("GET", "/healthz", { token: null });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });

  it("never writes a token, an env value or an Authorization header to the log", async () => {
    const secret = "s3cr3t-value-that-must-not-leak";
    const res = await h.call("POST", "/runs", {
      body: { repoUrl: "https://git.example.test/o/r", env: { DB_PASSWORD: secret } },
      headers: { "idempotency-key": "log-test" },
    });
    await h.waitFor(res.body.id, (r) => r.status === "READY");
    await h.call("GET", "/runs", { token: "wrong-token-also-secret" });
    const log = h.logText();
    expect(log).toContain(res.body.id);
    for (const s of [secret, TOKENS.alice, "wrong-token-also-secret"]) expect(log).not.toContain(s);
  });

  it("limits each token separately with 429 and Retry-After", async () => {
    let limited: Awaited<ReturnType<Harness["call"]>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await h.call("GET", "/runs?limit=1", { token: TOKENS.bob });
      if (res.status === 429) limited = res;
    }
    expect(limited?.headers.get("retry-after")).toBeTruthy();
    expect(limited?.body.error).toMatchObject({ code: "rate_limited", field: "authorization" });
    const alice = await h.call("GET", "/runs?limit=1", { token: TOKENS.alice });
    expect(alice.status).toBe(200);
  });

  it("reports readiness of MongoDB, Redis and the engine", async () => {
    const ok = await h.call("GET", "/readyz", { token: null });
    expect(ok.status).toBe(200);
    expect(ok.body.checks).toEqual({ mongodb: "ok", redis: "ok", engine: "ok" });
    h.engine.healthy = false;
    const down = await h.call("GET", "/readyz", { token: null });
    h.engine.healthy = true;
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(down.body.checks.engine).toBe("unavailable");
  });

  it("serves the OpenAPI document without a token", async () => {
    const res = await h.call("GET", "/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.paths["/runs"].post).toBeDefined();
  });
});
