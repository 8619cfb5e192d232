/**
 * `reporunner ls`, `logs`, `extend`, `rm` and `status` against the real Run API (Redis, FerretDB, the fake
 * engine): the tables and lines a user reads, the JSON a script parses, and the exit codes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeInstance } from "../../../automation/local/home";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";
import { reporunner } from "../../support/cli-io";

let h: Harness;
let env: NodeJS.ProcessEnv;
let ready: string;
let failed: string;
beforeAll(async () => {
  h = await startHarness();
  env = { REPORUNNER_URL: h.server.url, REPORUNNER_TOKEN: TOKENS.alice };
  ready = (
    await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/org/app.git", ref: "main" } })
  ).body.id;
  await h.waitFor(ready, (r) => r.status === "READY");
  h.engine.defaultScript = { failIn: { phase: "CLONING", reason: "no such ref" } };
  failed = (await h.call("POST", "/runs", { body: { repoUrl: "https://git.example.test/org/other.git" } }))
    .body.id;
  await h.waitFor(failed, (r) => r.status === "FAILED");
  h.engine.defaultScript = {};
});
afterAll(async () => {
  await h?.close();
});

describe("reporunner ls", () => {
  it("lists the token's runs newest first: id, status, repo@ref, age, preview", async () => {
    const result = await reporunner(["ls"], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+REPO\s+AGE\s+PREVIEW$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${failed}\\s+FAILED\\s+git\\.example\\.test/org/other\\s+\\d+s\\s+-$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^${ready}\\s+READY\\s+git\\.example\\.test/org/app@main\\s+\\d+s\\s+http://localhost:30080/run-${ready}/$`,
      ),
    );
  });

  it("filters by state, pages up to --limit, and prints JSON for scripts", async () => {
    const onlyFailed = JSON.parse((await reporunner(["ls", "--status", "failed", "--json"], { env })).stdout);
    expect(onlyFailed.map((r: { id: string }) => r.id)).toEqual([failed]);
    const one = JSON.parse((await reporunner(["ls", "--limit", "1", "--json"], { env })).stdout);
    expect(one).toHaveLength(1);
    const bob = await reporunner(["ls"], { env: { ...env, REPORUNNER_TOKEN: TOKENS.bob } });
    expect(bob).toMatchObject({ code: 0, stdout: "no runs\n" });
  });
});

describe("reporunner logs", () => {
  it("prints the workloads' last lines, and --json the API's answer", async () => {
    const result = await reporunner(["logs", ready, "--tail", "1"], { env });
    expect(result).toMatchObject({ code: 0, stdout: "app-1 app: GET / 200\n" });
    expect(result.stderr).toContain("(the last 1 lines; --tail <n> for more)");
    const json = JSON.parse((await reporunner(["logs", ready, "--json"], { env })).stdout);
    expect(json).toEqual({ id: ready, lines: h.logs.lines, truncated: false });
  });

  it("exits 4 for a run that does not exist (or is another token's)", async () => {
    const result = await reporunner(["logs", ready], { env: { ...env, REPORUNNER_TOKEN: TOKENS.bob } });
    expect(result.code).toBe(4);
    expect(result.errLines).toEqual([
      `reporunner logs: no run ${ready} (it does not exist or belongs to another token)`,
    ]);
  });
});

describe("reporunner extend", () => {
  it("moves the run's expiry to --ttl seconds from now and prints it; --json prints the run", async () => {
    const before = Date.now();
    const result = await reporunner(["extend", ready, "--ttl", "7200"], { env });
    expect(result.code, result.stderr).toBe(0);
    const { expiresAt } = (await h.call("GET", `/runs/${ready}`)).body;
    expect(result.stdout).toBe(`run ${ready} expires at ${expiresAt}\n`);
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 7200_000 - 1000);
    const json = JSON.parse((await reporunner(["extend", ready, "--ttl", "3600", "--json"], { env })).stdout);
    expect(json).toMatchObject({ id: ready, status: "READY", ttl: 3600 });
  });

  it("exits 1 with the API's field when --ttl is above the server's maximum, 4 for another token's run", async () => {
    const tooLong = await reporunner(["extend", ready, "--ttl", String(h.config.maxTtlSeconds + 1)], { env });
    expect(tooLong.code).toBe(1);
    expect(tooLong.errLines).toEqual([expect.stringMatching(/^reporunner extend: ttl.*\(400 /)]);
    const bob = await reporunner(["extend", ready, "--ttl", "3600"], {
      env: { ...env, REPORUNNER_TOKEN: TOKENS.bob },
    });
    expect(bob.code).toBe(4);
  });
});

describe("reporunner rm", () => {
  it("destroys a run, shows the destroy (not the replayed history), and exits 0 once it is DESTROYED", async () => {
    const { body } = await h.call("POST", "/runs", {
      body: { repoUrl: "https://git.example.test/org/rm.git" },
    });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const result = await reporunner(["rm", body.id], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`run ${body.id} DESTROYED\n`);
    expect(result.stderr).toMatch(/\] DESTROYING\n[\s\S]*\] DESTROYED\n$/);
    expect(result.stderr).toContain(`destroying run-${body.id}`);
    expect(result.stderr).not.toContain("CLONING");
    expect(h.engine.stacks.has(body.id)).toBe(false);
    expect((await h.call("GET", `/runs/${body.id}`)).body.status).toBe("DESTROYED");
    // Removing it again is not an error: it is gone.
    expect(await reporunner(["rm", body.id], { env })).toMatchObject({
      code: 0,
      stdout: `run ${body.id} DESTROYED\n`,
    });
  });

  it("--no-wait returns once the removal is accepted; --json prints the run", async () => {
    const { body } = await h.call("POST", "/runs", {
      body: { repoUrl: "https://git.example.test/org/rm2.git" },
    });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const result = await reporunner(["rm", body.id, "--no-wait", "--json"], { env });
    expect(result.code).toBe(0);
    expect(["DESTROYING", "DESTROYED"]).toContain(JSON.parse(result.stdout).status);
    await h.waitFor(body.id, (r) => r.status === "DESTROYED");
  });

  it("removes a failed run too, and exits 4 for a missing one", async () => {
    expect((await reporunner(["rm", failed, "--json"], { env })).code).toBe(0);
    expect((await h.call("GET", `/runs/${failed}`)).body.status).toBe("DESTROYED");
    const missing = await reporunner(["rm", "zzzzzzzz"], { env });
    expect(missing.code).toBe(4);
    expect(missing.errLines).toHaveLength(1);
  });
});

describe("reporunner status", () => {
  it("shows the API, its readiness, the instance, and the runs by state; exits 0", async () => {
    const home = mkdtempSync(join(tmpdir(), "reporunner-home-"));
    writeInstance(home, {
      url: h.server.url,
      pid: process.pid,
      startedAt: "2026-01-01T00:00:00.000Z",
      cluster: { provider: "builtin", createdByUp: true },
      previewBaseUrl: "http://localhost:30080",
    });
    const statusEnv = { REPORUNNER_HOME: home, REPORUNNER_TOKEN: TOKENS.alice };
    const result = await reporunner(["status"], { env: statusEnv });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`API        ${h.server.url} (from instance.json)`);
    expect(result.stdout).toMatch(/^reachable\s+yes$/m);
    expect(result.stdout).toMatch(/^ready\s+yes \(.*ok.*\)$/m);
    expect(result.stdout).toMatch(
      new RegExp(`^instance\\s+pid ${process.pid} \\(running\\), .*cluster builtin \\(created by up\\)`, "m"),
    );
    expect(result.stdout).toMatch(/^runs\s+.*READY \d+/m);
    const json = JSON.parse((await reporunner(["status", "--json"], { env: statusEnv })).stdout);
    expect(json).toMatchObject({ api: { url: h.server.url, source: "instance.json" }, reachable: true });
    expect(json.ready.status).toBe("ok");
    const all = (await h.call("GET", "/runs?limit=100")).body.items as { status: string }[];
    const expected: Record<string, number> = {};
    for (const run of all) expected[run.status] = (expected[run.status] ?? 0) + 1;
    expect(json.runs).toEqual(expected);
  });

  it("exits 3 when the API is up but not ready, and 1 when it refuses the token", async () => {
    h.engine.healthy = false;
    try {
      const result = await reporunner(["status"], { env });
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/^ready\s+no \(.*engine unavailable.*\)$/m);
      expect(result.errLines).toEqual(["reporunner status: the API is not ready: engine"]);
    } finally {
      h.engine.healthy = true;
    }
    const refused = await reporunner(["status"], { env: { ...env, REPORUNNER_TOKEN: "wrong-token" } });
    expect(refused.code).toBe(1);
    expect(refused.errLines).toHaveLength(1);
    expect(refused.errLines[0]).toContain("refused the token from REPORUNNER_TOKEN");
  });
});
