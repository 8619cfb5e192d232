import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const repo = { repoUrl: "https://git.example.test/org/app.git", ref: "main" };

describe("run lifecycle", () => {
  it("accepts a run with 202 and takes it through the phases to READY", async () => {
    const res = await h.call("POST", "/runs", { body: { ...repo, env: { GREETING: "hi" } } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "QUEUED", links: { self: `/runs/${res.body.id}` } });
    expect(res.body.id).toMatch(/^[a-z0-9]{8,12}$/);
    expect(res.headers.get("location")).toBe(`/runs/${res.body.id}`);
    const run = await h.waitFor(res.body.id, (r) => r.status === "READY");
    expect(run.commitSha).toBe(h.engine.commit);
    expect(run.previewUrls.app).toContain(`run-${run.id}`);
    expect(run.namespace).toBe(`run-${run.id}`);
    expect(run.envKeys).toEqual(["GREETING"]);
    expect(JSON.stringify(run)).not.toContain('hi"');
    expect(run.history.map((t: any) => t.to)).toEqual([
      "QUEUED",
      "CLONING",
      "BUILDING",
      "DEPLOYING",
      "READY",
    ]);
    for (const phase of ["CLONING", "BUILDING", "DEPLOYING"]) {
      expect(run.phases[phase].durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("destroys a run on DELETE: 202, DESTROYING, then DESTROYED and the stack gone", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const del = await h.call("DELETE", `/runs/${body.id}`);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe("DESTROYING");
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
    expect(h.engine.stacks.has(body.id)).toBe(false);
  });

  it("fails a run with the engine's plain reason and hides an unexpected error's text", async () => {
    h.engine.defaultScript = { failIn: { phase: "BUILDING", reason: "docker build failed: step 3" } };
    const a = await h.call("POST", "/runs", { body: repo });
    const failed = await h.waitFor(a.body.id, (r) => r.status === "FAILED");
    expect(failed.reason).toBe("docker build failed: step 3");
    h.engine.defaultScript = { crash: "secret stack trace at /root/.pulumi" };
    const b = await h.call("POST", "/runs", { body: repo });
    const crashed = await h.waitFor(b.body.id, (r) => r.status === "FAILED");
    expect(crashed.reason).not.toContain("secret");
    h.engine.defaultScript = {};
  });

  it("cancels an update in flight", async () => {
    h.engine.defaultScript = { phaseMs: 2000 };
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "CLONING" || r.status === "BUILDING");
    const res = await h.call("POST", `/runs/${body.id}/cancel`);
    expect(res.status).toBe(202);
    const run = await h.waitFor(body.id, (r) => r.status === "CANCELLED");
    expect(run.reason).toBe("cancelled by the owner");
    h.engine.defaultScript = {};
    const again = await h.call("POST", `/runs/${body.id}/cancel`);
    expect(again.status).toBe(202);
  });

  it("refuses to cancel a READY run with 409 naming the status", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const res = await h.call("POST", `/runs/${body.id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "not_cancellable", field: "status" });
  });

  it("redeploys a READY run, going through the phases again", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    h.engine.commit = "fedcba9876543210fedcba9876543210fedcba98";
    const res = await h.call("POST", `/runs/${body.id}/redeploy`);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("QUEUED");
    const run = await h.waitFor(body.id, (r) => r.status === "READY" && r.commitSha.startsWith("fedcba"));
    expect(run.history.filter((t: any) => t.to === "READY")).toHaveLength(2);
  });

  it("extends a READY run's TTL from now, refuses one above the maximum, and leaves others' runs alone", async () => {
    const { body } = await h.call("POST", "/runs", { body: { ...repo, ttl: 600 } });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const before = Date.now();
    const res = await h.call("POST", `/runs/${body.id}/extend`, { body: { ttl: 4 * 3600 } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: body.id, status: "READY", ttl: 4 * 3600 });
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 4 * 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 4 * 3600_000 + 1000);
    expect((await h.call("GET", `/runs/${body.id}`)).body.expiresAt).toBe(res.body.expiresAt);

    const tooLong = await h.call("POST", `/runs/${body.id}/extend`, {
      body: { ttl: h.config.maxTtlSeconds + 1 },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.field).toBe("ttl");
    const bob = await h.call("POST", `/runs/${body.id}/extend`, { body: { ttl: 3600 }, token: TOKENS.bob });
    expect(bob.status).toBe(404);
    expect((await h.call("GET", `/runs/${body.id}`)).body.expiresAt).toBe(res.body.expiresAt);
  });

  it("refuses to extend a destroyed run with 409 not_extendable", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    await h.call("DELETE", `/runs/${body.id}`);
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
    const res = await h.call("POST", `/runs/${body.id}/extend`, { body: { ttl: 3600 } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "not_extendable", field: "status" });
  });

  it("deletes a run while it deploys: the worker stops and destroys it", async () => {
    h.engine.defaultScript = { phaseMs: 1500 };
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "CLONING" || r.status === "BUILDING");
    const del = await h.call("DELETE", `/runs/${body.id}`);
    expect(del.status).toBe(202);
    h.engine.defaultScript = {};
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
  });

  it("honours Idempotency-Key: the same request returns the same run, a different one is refused", async () => {
    const headers = { "idempotency-key": "key-1" };
    const a = await h.call("POST", "/runs", { body: repo, headers });
    const b = await h.call("POST", "/runs", { body: repo, headers });
    expect(b.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    const c = await h.call("POST", "/runs", { body: { ...repo, ref: "dev" }, headers });
    expect(c.status).toBe(409);
    expect(c.body.error.field).toBe("Idempotency-Key");
    // Another owner's key space is separate.
    const d = await h.call("POST", "/runs", { body: repo, headers, token: TOKENS.bob });
    expect(d.body.id).not.toBe(a.body.id);
  });

  it("lists the caller's runs newest first, paginated and filtered by status", async () => {
    const page1 = await h.call("GET", "/runs?limit=2");
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await h.call("GET", `/runs?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[1].id);
    const t0 = Date.parse(page1.body.items[1].createdAt);
    expect(Date.parse(page2.body.items[0].createdAt)).toBeLessThanOrEqual(t0);
    const failed = await h.call("GET", "/runs?status=FAILED,CANCELLED&limit=100");
    expect(failed.body.items.length).toBeGreaterThanOrEqual(3);
    expect(failed.body.items.every((r: any) => ["FAILED", "CANCELLED"].includes(r.status))).toBe(true);
  });

  it("tails the workloads' logs of a READY run and refuses a destroyed one", async () => {
    const { body } = await h.call("POST", "/runs", { body: repo });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const res = await h.call("GET", `/runs/${body.id}/logs?tail=1`);
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual(["app-1 app: GET / 200"]);
    await h.call("DELETE", `/runs/${body.id}`);
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
    const gone = await h.call("GET", `/runs/${body.id}/logs`);
    expect(gone.status).toBe(409);
  });
});
