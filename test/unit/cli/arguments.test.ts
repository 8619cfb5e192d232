import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reporunner, type CliResult } from "../../support/cli-io";

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The contract of every failure: one line on stderr naming the command, nothing on stdout, no stack. */
function expectOneLine(result: CliResult, code: number, command: string, text: string | RegExp) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.errLines).toHaveLength(1);
  expect(result.errLines[0]).toMatch(new RegExp(`^reporunner ${command}: `));
  expect(result.errLines[0]).toMatch(text);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const withToken = { env: { REPORUNNER_TOKEN: "t0ken", REPORUNNER_URL: "http://127.0.0.1:9" } };

describe("reporunner argument errors: exit 2 with one line", () => {
  it.each([
    [["run"], "run", /missing required argument 'repo'/],
    [
      ["run", "https://git.example.test/a.git", "--mode", "helm"],
      "run",
      /--mode.*helm.*auto, dockerfile, compose/,
    ],
    [["run", "https://git.example.test/a.git", "--ttl", "5"], "run", /--ttl.*from 60/],
    [["run", "https://git.example.test/a.git", "--ttl", "1h"], "run", /--ttl.*whole number/],
    [["run", "https://git.example.test/a.git", "--port", "0"], "run", /--port.*from 1 to 65535/],
    [["run", "https://git.example.test/a.git", "--env", "NOVALUE"], "run", /--env.*KEY=VALUE/],
    [["run", "https://git.example.test/a.git", "--env", "1X=y"], "run", /--env.*KEY=VALUE/],
    [
      ["run", "https://git.example.test/a.git", "--uncommitted"],
      "run",
      /--uncommitted applies to a local path only/,
    ],
    [["run", "https://git.example.test/a.git", "--nope"], "run", /unknown option '--nope'/],
    [["rm", "NOT-AN-ID"], "rm", /run id is 8 to 12 lowercase letters and digits/],
    [["rm", "abcdefgh", "--no-wiat"], "rm", /unknown option '--no-wiat'.*--no-wait/],
    [["logs", "abcdefgh", "--tail", "0"], "logs", /--tail.*from 1 to 5000/],
    [["extend", "abcdefgh"], "extend", /required option '--ttl <seconds>' not specified/],
    [["extend", "abcdefgh", "--ttl", "30"], "extend", /--ttl.*from 60/],
    [["ls", "--status", "RUNNING"], "ls", /unknown state RUNNING/],
    [
      ["ls", "--api", "127.0.0.1:8080"],
      "ls",
      /--api 127\.0\.0\.1:8080: not a URL \(write http:\/\/host:port\)/,
    ],
    [["follow"], "follow", /missing required argument 'id'/],
  ])("%j", async (args, command, text) => {
    expectOneLine(await reporunner(args, withToken), 2, command, text);
  });

  it("refuses an unknown command with the program's name", async () => {
    const result = await reporunner(["deploy"]);
    expect(result.code).toBe(2);
    expect(result.errLines).toEqual(["reporunner: unknown command 'deploy' (see reporunner --help)"]);
  });

  it("refuses a local path that does not exist, or is not a git working tree, before calling the API", async () => {
    expectOneLine(await reporunner(["run", "./no/such/dir"], withToken), 2, "run", /no such directory/);
    const plain = mkdtempSync(join(tmpdir(), "reporunner-plain-"));
    expectOneLine(await reporunner(["run", plain], withToken), 2, "run", /not inside a git working tree/);
    const file = join(plain, "file.txt");
    writeFileSync(file, "x");
    expectOneLine(await reporunner(["run", file], withToken), 2, "run", /is not a directory/);
  });

  it("refuses --uncommitted together with --ref", async () => {
    expectOneLine(
      await reporunner(["run", ".", "--uncommitted", "--ref", "main"], withToken),
      2,
      "run",
      /drop --ref/,
    );
  });
});

describe("reporunner without a reachable API: exit 3 with one line", () => {
  it("says to start the API when there is no token at all", async () => {
    const result = await reporunner(["ls"], { env: { REPORUNNER_URL: "http://127.0.0.1:9" } });
    expectOneLine(
      result,
      3,
      "ls",
      /no API token .*REPORUNNER_TOKEN.*run `npm start` \(or `reporunner up`\) first/,
    );
  });

  it.each([
    [["run", "https://git.example.test/org/app.git"], "run"],
    [["ls"], "ls"],
    [["logs", "abcdefgh"], "logs"],
    [["rm", "abcdefgh"], "rm"],
    [["follow", "abcdefgh"], "follow"],
  ])("%j: connection refused, start it with npm start", async (args, command) => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await reporunner(args, { env: { REPORUNNER_TOKEN: "t0ken", REPORUNNER_URL: url } });
    expectOneLine(
      result,
      3,
      command,
      `cannot reach the Run API at ${url} (connection refused): start it with \`npm start\``,
    );
  });

  it("status reports the API as unreachable and exits 3", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await reporunner(["status", "--api", url]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(new RegExp(`API\\s+${url} \\(from --api\\)`));
    expect(result.stdout).toMatch(/reachable\s+no/);
    expect(result.errLines).toEqual([
      `reporunner status: cannot reach the Run API at ${url} (connection refused): start it with \`npm start\` (or \`reporunner up\`)`,
    ]);
    const json = JSON.parse((await reporunner(["status", "--api", url, "--json"])).stdout);
    expect(json).toMatchObject({ api: { url, source: "--api" }, reachable: false, ready: null, runs: null });
  });
});

describe("reporunner --help", () => {
  it("lists every command and the exit codes", async () => {
    const result = await reporunner(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["run", "follow", "ls", "logs", "rm", "extend", "status", "translate"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    for (const [code, meaning] of [
      ["0", "done"],
      ["1", "the run failed"],
      ["2", "usage error"],
      ["3", "cannot be reached"],
      ["4", "no such run"],
      ["130", "Ctrl-C"],
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${code}\\s+.*${meaning}`, "m"));
    }
  });

  it.each(["run", "follow", "ls", "logs", "rm", "extend", "status"])(
    "%s --help has examples and its exit codes",
    async (command) => {
      const result = await reporunner([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Exit: 0/);
      expect(result.stdout).toMatch(new RegExp(`Examples?:\\n  reporunner ${command}`));
    },
  );
});
