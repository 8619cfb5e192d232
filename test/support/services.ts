/**
 * Real Redis and FerretDB (MongoDB wire protocol on SQLite) for the API's integration tests, each on
 * a free 127.0.0.1 port with its data in a temporary directory. Start them in `beforeAll`, stop them
 * in `afterAll`. A missing binary fails the test with the command that installs it: never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const TOOLCHAIN = join(homedir(), ".cache", "reporunner", "toolchain");

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be bound right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range (32768–60999), for a service that a test stops and
 * starts again: while it is down, no `listen(0)` or outgoing connection elsewhere can take its port,
 * which would make the restarted service fail to bind while something else answers in its place.
 */
export async function stablePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
  throw new Error("no free port in 20000–31999 on 127.0.0.1");
}

/** Resolves once something accepts connections on the port (or rejects after `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A service process the test controls: stop it (an outage), start it again, kill it for good. */
export interface TestService {
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM: Redis writes its data first) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

function service(
  name: string,
  port: number,
  url: string,
  dir: string,
  cmd: string,
  args: string[],
): TestService {
  let child: ChildProcess | undefined;
  let output = "";
  const svc: TestService = {
    url,
    port,
    async start() {
      output = "";
      child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      const started = child;
      try {
        // Something else listening on the port must not pass for our service: fail if ours exits first.
        const exit = exited(started).then(
          () => `it exited (code ${started.exitCode}, signal ${started.signalCode})`,
        );
        const listening = waitForPort(port).then(
          () => undefined,
          (err: Error) => err.message,
        );
        const outcome = await Promise.race([listening, exit]);
        if (outcome) throw new Error(outcome);
      } catch (err) {
        started.kill("SIGKILL");
        throw new Error(`${name} did not start: ${(err as Error).message}\n${output}`, { cause: err });
      }
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
      await exited(c);
      clearTimeout(timer);
    },
    async dispose() {
      await svc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return svc;
}

/** `redis-server` (Debian's package, installed by `npm run setup`) with AOF on, so an outage loses nothing. */
export async function startRedis(): Promise<TestService> {
  const bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));
  if (!bin)
    throw new Error("redis-server is not installed: run `npm run setup` (or apt-get install redis-server)");
  const port = await stablePort();
  const dir = mkdtempSync(join(tmpdir(), "reporunner-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--save",
    "",
  ];
  const svc = service("redis-server", port, `redis://127.0.0.1:${port}`, dir, bin, args);
  await svc.start();
  return svc;
}

/** The FerretDB binary `npm run setup` builds, or a clear error naming it. */
export function ferretdbBinary(): string {
  const candidates: string[] = [];
  if (process.env.FERRETDB_BIN) candidates.push(process.env.FERRETDB_BIN);
  const pointer = join(TOOLCHAIN, "builtin-cluster-paths", "ferretdb");
  if (existsSync(pointer)) candidates.push(join(readFileSync(pointer, "utf8").trim(), "bin", "ferretdb"));
  if (existsSync(TOOLCHAIN)) {
    const dirs = readdirSync(TOOLCHAIN)
      .filter((d) => /^ferretdb-[0-9a-f]+$/.test(d))
      .map((d) => join(TOOLCHAIN, d, "bin", "ferretdb"))
      .filter((p) => existsSync(p))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    candidates.push(...dirs);
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `FerretDB is not built: run \`npm run setup\` (looked for ${TOOLCHAIN}/ferretdb-*/bin/ferretdb)`,
    );
  }
  return found;
}

/**
 * FerretDB v1: the MongoDB wire protocol the run store talks. On SQLite by default (what the tests
 * use: nothing else to start, and its writes are the least isolated, so the store's record lock is
 * exercised); on `postgresql`, over a PostgreSQL of its own (`startPostgres`), which the API bench
 * uses: SQLite serialises every write, PostgreSQL takes concurrent ones.
 */
export async function startFerretdb(backend: "sqlite" | "postgresql" = "sqlite"): Promise<TestService> {
  const bin = ferretdbBinary();
  const port = await stablePort();
  const dir = mkdtempSync(join(tmpdir(), "reporunner-ferretdb-"));
  const postgres = backend === "postgresql" ? await startPostgres() : undefined;
  const handler = postgres
    ? ["--handler=postgresql", `--postgresql-url=${postgres.url}`]
    : ["--handler=sqlite", `--sqlite-url=file:${dir}/`];
  const args = [...handler, `--listen-addr=127.0.0.1:${port}`, "--telemetry=disable", "--log-level=error"];
  const svc = service("ferretdb", port, `mongodb://127.0.0.1:${port}/reporunner`, dir, bin, args);
  try {
    await svc.start();
  } catch (err) {
    await postgres?.dispose();
    throw err;
  }
  if (!postgres) return svc;
  return {
    ...svc,
    async dispose() {
      await svc.dispose();
      await postgres.dispose();
    },
  };
}

/** Debian's PostgreSQL server binaries (the `postgresql` package), newest major first. */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const found = majors.map((m) => join(root, m, "bin")).find((d) => existsSync(join(d, "postgres")));
  if (!found) throw new Error("PostgreSQL is not installed: apt-get install postgresql");
  return found;
}

/**
 * A throw-away PostgreSQL on a free port, its data in a temporary directory, durability off (the data
 * is dropped afterwards). PostgreSQL refuses to run as root: as root, it runs as the `postgres` user
 * the Debian package creates.
 */
export async function startPostgres(): Promise<TestService> {
  const bin = postgresBin();
  const port = await stablePort();
  const dir = mkdtempSync(join(tmpdir(), "reporunner-postgres-"));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  if (asRoot) chownSync(dir, postgresUid(), postgresGid());
  const [initCmd, initArgs] = run(join(bin, "initdb"), [
    "-D",
    join(dir, "data"),
    "-A",
    "trust",
    "-U",
    "postgres",
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error}`);
  const [cmd, args] = run(join(bin, "postgres"), [
    "-D",
    join(dir, "data"),
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
  ]);
  const svc = service("postgres", port, `postgres://postgres@127.0.0.1:${port}/postgres`, dir, cmd, args);
  await svc.start();
  return svc;
}

function postgresUid(): number {
  return Number(/^postgres:[^:]*:(\d+):/m.exec(readFileSync("/etc/passwd", "utf8"))?.[1] ?? NaN);
}

function postgresGid(): number {
  return Number(/^postgres:[^:]*:\d+:(\d+):/m.exec(readFileSync("/etc/passwd", "utf8"))?.[1] ?? NaN);
}
