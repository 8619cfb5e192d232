/**
 * `reporunner run` and `reporunner follow` against the real Run API (Redis, FerretDB, the fake
 * engine): what the user sees on stdout and stderr, and the exit code.
 */
import { createServer, type Server, type Socket, connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, TOKENS, type Harness } from "../../support/api-harness";
import { reporunner } from "../../support/cli-io";

let h: Harness;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  h = await startHarness();
  env = { REPORUNNER_URL: h.server.url, REPORUNNER_TOKEN: TOKENS.alice };
});
afterAll(async () => {
  await h?.close();
});

const REPO = "https://git.example.test/org/app.git";

/** Waits until the fake engine has deployed `id` twice, both times with its preview port. */
async function eventuallyDeployedTwice(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const deploys = h.engine.calls.filter((call) => call.op === "deploy" && call.runId === id);
    if (deploys.length === 2) {
      expect(deploys.every((call) => call.previewPort === 3000)).toBe(true);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${id} was not deployed again`);
}

/** The status of each `[  3s] STATUS` progress line, in order. */
function states(stderr: string): string[] {
  return [...stderr.matchAll(/^\[\s*\d+s\] ([A-Z]+)/gm)].map((m) => m[1]!);
}

describe("reporunner run", () => {
  it("follows a run to READY, shows its phases and output, prints the preview and local URLs and exits 0", async () => {
    const result = await reporunner(["run", REPO, "--ref", "main", "--env", "GREETING=hi", "--ttl", "600"], {
      env,
    });
    expect(result.code).toBe(0);
    const id = /^run ([a-z0-9]+) is READY/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toContain(`preview app  http://localhost:30080/run-${id}/`);
    // The API server's local previews write `localUrls` a moment after READY: the CLI waits for them.
    const local = /^ {2}local {3}app {2}(http:\/\/localhost:\d+)$/m.exec(result.stdout)?.[1];
    expect(local, result.stdout).toBeDefined();
    expect(result.stdout).toContain(`remove it: reporunner rm ${id}`);
    expect(result.stderr).not.toContain("no local URLs");
    expect(states(result.stderr)).toEqual(["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY"]);
    expect(result.stderr).toContain(`building ${id}`);
    const run = (await h.call("GET", `/runs/${id}`)).body;
    expect(run).toMatchObject({ status: "READY", ref: "main", envKeys: ["GREETING"], ttl: 600 });
    expect(run.localUrls).toEqual({ app: local });
  });

  it("--json prints the final run as the only thing on stdout", async () => {
    const result = await reporunner(["run", REPO, "--json"], { env });
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: "READY", repoUrl: REPO, commitSha: h.engine.commit });
    expect(run.previewUrls.app).toBe(`http://localhost:30080/run-${run.id}/`);
    expect(run.localUrls.app).toMatch(/^http:\/\/localhost:\d+$/);
  });

  it("exits 1 with the run's reason when it fails", async () => {
    h.engine.defaultScript = { failIn: { phase: "BUILDING", reason: "docker build failed: step 3" } };
    try {
      const result = await reporunner(["run", REPO], { env });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.errLines.at(-1)).toMatch(
        /^reporunner run: run [a-z0-9]+ FAILED: docker build failed: step 3$/,
      );
      expect(states(result.stderr).at(-1)).toBe("FAILED");
      const json = await reporunner(["run", REPO, "--json"], { env });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        status: "FAILED",
        reason: "docker build failed: step 3",
      });
    } finally {
      h.engine.defaultScript = {};
    }
  });

  it("--detach prints the id and returns at once; follow then waits for it", async () => {
    h.engine.defaultScript = { phaseMs: 300 };
    try {
      const detached = await reporunner(["run", REPO, "--detach"], { env });
      expect(detached.code).toBe(0);
      const id = detached.stdout.trim();
      expect(id).toMatch(/^[a-z0-9]{8,12}$/);
      expect(detached.stderr).toContain(`follow it: reporunner follow ${id}`);
      expect((await h.call("GET", `/runs/${id}`)).body.status).not.toBe("READY");
      const followed = await reporunner(["follow", id], { env });
      expect(followed.code).toBe(0);
      expect(followed.stdout).toContain(`run ${id} is READY`);
    } finally {
      h.engine.defaultScript = {};
    }
  });

  it("--port names the preview port of a Dockerfile without EXPOSE: the API keeps it for the deploy and each redeploy", async () => {
    const result = await reporunner(["run", REPO, "--port", "3000", "--json"], { env });
    expect(result.code).toBe(0);
    const { id } = JSON.parse(result.stdout);
    expect(h.engine.calls).toContainEqual({ op: "deploy", runId: id, previewPort: 3000 });
    const redeploy = await h.call("POST", `/runs/${id}/redeploy`);
    expect(redeploy.status).toBe(202);
    await eventuallyDeployedTwice(id);
    const bad = await h.call("POST", "/runs", { body: { repoUrl: REPO, previewPort: 70000 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_request", field: "previewPort" });
  });

  it("prints the API's refusal, with its field, as one line and exits 1", async () => {
    const result = await reporunner(["run", "https://metadata.internal.test/org/app.git"], { env });
    expect(result.code).toBe(1);
    expect(result.errLines).toEqual([
      "reporunner run: repoUrl points to a loopback, private or link-local address (422 forbidden_target)",
    ]);
    const badRef = await reporunner(["run", REPO, "--ref", "a..b"], { env });
    expect(badRef.code).toBe(1);
    expect(badRef.errLines).toEqual([
      "reporunner run: ref: ref is not a valid git ref (400 invalid_request)",
    ]);
  });

  it("says the token was refused, and where it came from, as one line", async () => {
    const result = await reporunner(["run", REPO], { env: { ...env, REPORUNNER_TOKEN: "wrong-token" } });
    expect(result.code).toBe(1);
    expect(result.errLines).toEqual([
      `reporunner run: the API at ${h.server.url} refused the token from REPORUNNER_TOKEN: a valid bearer token is required`,
    ]);
  });

  it("Ctrl-C stops following, says how to follow or remove the run, exits 130, and the run goes on", async () => {
    h.engine.defaultScript = { phaseMs: 400 };
    try {
      const result = await reporunner(["run", REPO], {
        env,
        onStderr: (text, interrupt) => {
          if (text.includes("CLONING")) interrupt();
        },
      });
      expect(result.code).toBe(130);
      const id = /run ([a-z0-9]+) created/.exec(result.stderr)?.[1];
      expect(result.stderr).toContain(`stopped following run ${id}; it goes on.`);
      expect(result.stderr).toContain(`follow it: reporunner follow ${id}`);
      expect(result.stderr).toContain(`remove it: reporunner rm ${id}`);
      expect(result.stdout).toBe("");
      await h.waitFor(id!, (r) => r.status === "READY");
    } finally {
      h.engine.defaultScript = {};
    }
  });

  it("reconnects when the event stream drops, with Last-Event-ID: every phase shown once", async () => {
    h.engine.defaultScript = { phaseMs: 300 };
    const proxy = await dropFirstEventStream(new URL(h.server.url).port);
    try {
      const result = await reporunner(["run", REPO], { env: { ...env, REPORUNNER_URL: proxy.url } });
      expect(result.code).toBe(0);
      expect(proxy.dropped).toBe(1);
      expect(result.stderr).toMatch(/event stream lost \(.+\); reconnecting \(attempt 1\)/);
      expect(states(result.stderr)).toEqual(["QUEUED", "CLONING", "BUILDING", "DEPLOYING", "READY"]);
      expect(proxy.lastEventIds).toHaveLength(1);
      expect(proxy.lastEventIds[0]).toMatch(/^\d+-\d+$/);
    } finally {
      h.engine.defaultScript = {};
      await proxy.close();
    }
  });
});

describe("reporunner run against an API that does not forward local previews", () => {
  let off: Harness;
  beforeAll(async () => {
    off = await startHarness({ REPORUNNER_LOCAL_PREVIEWS: "false" });
  });
  afterAll(async () => {
    await off?.close();
  });

  it("prints the preview URL, says no local URL came and exits 0", async () => {
    const result = await reporunner(["run", REPO], {
      env: { REPORUNNER_URL: off.server.url, REPORUNNER_TOKEN: TOKENS.alice },
    });
    expect(result.code).toBe(0);
    const id = /^run ([a-z0-9]+) is READY/.exec(result.stdout)?.[1];
    expect(result.stdout).toContain(`preview app  http://localhost:30080/run-${id}/`);
    expect(result.stdout).not.toMatch(/^ {2}local /m);
    expect(result.stderr).toContain(`no local URLs yet: reporunner follow ${id} shows them`);
  });
});

describe("reporunner follow", () => {
  it("replays a settled run and exits by its outcome; a missing run is exit 4", async () => {
    const { body } = await h.call("POST", "/runs", { body: { repoUrl: REPO } });
    await h.waitFor(body.id, (r) => r.status === "READY");
    const result = await reporunner(["follow", body.id, "--json"], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: body.id, status: "READY" });
    const missing = await reporunner(["follow", "zzzzzzzz"], { env });
    expect(missing.code).toBe(4);
    expect(missing.errLines).toEqual([
      "reporunner follow: no run zzzzzzzz (it does not exist or belongs to another token)",
    ]);
  });
});

/**
 * A TCP proxy to the API that cuts the first event stream once it has carried a state event after
 * QUEUED, and records the Last-Event-ID of the later ones.
 */
async function dropFirstEventStream(apiPort: string) {
  const proxy = { url: "", dropped: 0, lastEventIds: [] as string[], close: async () => undefined };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(apiPort), "127.0.0.1");
    sockets.add(client).add(upstream);
    let isEvents = false;
    let seen = "";
    client.on("data", (chunk) => {
      const text = chunk.toString();
      if (/^GET \/runs\/[a-z0-9]+\/events /.test(text)) {
        isEvents = true;
        const last = /^last-event-id: (.+)\r$/im.exec(text)?.[1];
        if (last) proxy.lastEventIds.push(last);
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (isEvents && proxy.dropped === 0) {
        seen += chunk.toString();
        if (/"status":"CLONING"/.test(seen)) {
          client.write(chunk);
          proxy.dropped++;
          client.destroy();
          upstream.destroy();
          return;
        }
      }
      client.write(chunk);
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("end", () => b.end());
      a.on("error", () => b.destroy());
      a.on("close", () => sockets.delete(a));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
