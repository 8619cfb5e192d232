/** Owner A can neither see nor act on owner B's runs: every such request is a 404, as for no run at all. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";

let h: Harness;
let bobRun: string;
beforeAll(async () => {
  h = await startHarness();
  const res = await h.call("POST", "/runs", {
    token: TOKENS.bob,
    body: { repoUrl: "https://git.example.test/bob/app" },
  });
  bobRun = res.body.id;
  await h.waitFor(bobRun, (r) => r.status === "READY", TOKENS.bob);
});
afterAll(async () => {
  await h?.close();
});

describe("owner isolation", () => {
  it.each([
    ["GET", ""],
    ["GET", "/events"],
    ["GET", "/logs"],
    ["DELETE", ""],
    ["POST", "/cancel"],
    ["POST", "/redeploy"],
  ])("answers %s /runs/:id%s of another owner with the same 404 as a missing run", async (method, suffix) => {
    const theirs = await h.call(method, `/runs/${bobRun}${suffix}`, { token: TOKENS.alice });
    const missing = await h.call(method, `/runs/zzzzzzzz9${suffix}`, { token: TOKENS.alice });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({ error: { code: "run_not_found", message: "no such run", field: "id" } });
    expect(missing.body).toEqual(theirs.body);
  });

  it("leaves the other owner's run untouched", async () => {
    const run = await h.waitFor(bobRun, () => true, TOKENS.bob);
    expect(run.status).toBe("READY");
    expect(run.history.map((t: any) => t.to)).not.toContain("DESTROYING");
  });

  it("lists only the caller's runs", async () => {
    await h.call("POST", "/runs", {
      token: TOKENS.alice,
      body: { repoUrl: "https://git.example.test/alice/app" },
    });
    const alice = await h.call("GET", "/runs?limit=100", { token: TOKENS.alice });
    const bob = await h.call("GET", "/runs?limit=100", { token: TOKENS.bob });
    expect(alice.body.items.map((r: any) => r.id)).not.toContain(bobRun);
    expect(bob.body.items.map((r: any) => r.id)).toEqual([bobRun]);
  });

  it("does not let a cursor from one owner reveal another's runs", async () => {
    const bob = await h.call("GET", "/runs?limit=1", { token: TOKENS.bob });
    // A cursor after every run there is: the page holds all of alice's runs and none of bob's.
    const cursor = `${Date.now() + 60_000}-zzzzzzzzzzzz`;
    const alice = await h.call("GET", `/runs?cursor=${cursor}`, { token: TOKENS.alice });
    expect(alice.body.items.map((r: any) => r.id)).not.toContain(bob.body.items[0].id);
  });
});
