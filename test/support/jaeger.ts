/**
 * A real Jaeger v2 (the binary `npm run setup` builds: builtin-cluster/build/30-jaeger.sh) on the host, for
 * integration tests that send spans and read them back: in-memory storage, every port a free one on
 * 127.0.0.1, nothing else exposed. Start it in `beforeAll`, stop it in `afterAll`. A missing binary fails
 * the test with the command that builds it: never a skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./services";

const TOOLCHAIN = join(homedir(), ".cache", "reporunner", "toolchain");

/** A running Jaeger: where to send OTLP/HTTP (`<otlpHttpUrl>/v1/traces`) and where its query API answers. */
export interface JaegerInstance {
  /** `http://127.0.0.1:<port>`: the OTLP/HTTP receiver's base URL (post traces to `/v1/traces`). */
  readonly otlpHttpUrl: string;
  /** `http://127.0.0.1:<port>`: the query service (`/api/traces?service=…`, `/api/v3/traces/<id>`) and UI. */
  readonly queryUrl: string;
  /** Stops Jaeger (its traces are gone: the storage is in memory) and removes its config. */
  stop(): Promise<void>;
}

/** The Jaeger v2 binary `npm run setup` builds, or a clear error naming it. `JAEGER_BIN` overrides. */
export function jaegerBinary(): string {
  const candidates: string[] = [];
  if (process.env.JAEGER_BIN) candidates.push(process.env.JAEGER_BIN);
  const pointer = join(TOOLCHAIN, "builtin-cluster-paths", "jaeger");
  if (existsSync(pointer)) candidates.push(join(readFileSync(pointer, "utf8").trim(), "bin", "jaeger"));
  if (existsSync(TOOLCHAIN)) {
    const builds = readdirSync(TOOLCHAIN)
      .filter((d) => /^jaeger-[0-9a-f]+$/.test(d))
      .map((d) => join(TOOLCHAIN, d, "bin", "jaeger"))
      .filter((p) => existsSync(p))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    candidates.push(...builds);
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `Jaeger is not built: run \`npm run setup\` (looked for ${TOOLCHAIN}/jaeger-*/bin/jaeger; JAEGER_BIN overrides)`,
    );
  }
  return found;
}

/**
 * Jaeger's all-in-one pipeline (OTLP in, in-memory storage, the query service) with every listener on the
 * given 127.0.0.1 ports. The embedded all-in-one config is not used: it listens on fixed ports (4317,
 * 16686, 8888, …), so two tests at once would collide. No batch processor: a span is stored on arrival.
 */
function jaegerConfig(ports: { otlpGrpc: number; otlpHttp: number; queryHttp: number; queryGrpc: number }) {
  return JSON.stringify({
    service: {
      extensions: ["jaeger_storage", "jaeger_query"],
      pipelines: { traces: { receivers: ["otlp"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: { metrics: { level: "none" }, logs: { level: "warn" } },
    },
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: 10_000 } } } },
      jaeger_query: {
        storage: { traces: "memstore" },
        http: { endpoint: `127.0.0.1:${ports.queryHttp}` },
        grpc: { endpoint: `127.0.0.1:${ports.queryGrpc}` },
        // On by default in v2, to 127.0.0.1:4317: not ours (it may be anyone's), and stop() would wait 10 s on it.
        enable_tracing: false,
      },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${ports.otlpGrpc}` },
          http: { endpoint: `127.0.0.1:${ports.otlpHttp}` },
        },
      },
    },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

/** Starts Jaeger v2 with in-memory storage on free 127.0.0.1 ports; resolves once OTLP and the query API listen. */
export async function startJaeger(): Promise<JaegerInstance> {
  const bin = jaegerBinary();
  const ports = {
    otlpGrpc: await freePort(),
    otlpHttp: await freePort(),
    queryHttp: await freePort(),
    queryGrpc: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), "reporunner-jaeger-"));
  // JSON is YAML: the collector's file provider reads it as its config.
  const config = join(dir, "config.yaml");
  writeFileSync(config, jaegerConfig(ports));

  let output = "";
  const child = spawn(bin, [`--config=${config}`], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  try {
    // Something else on one of the ports must not pass for Jaeger: fail if Jaeger exits first.
    const exit = exited(child).then(() => `it exited (code ${child.exitCode}, signal ${child.signalCode})`);
    const listening = Promise.all([waitForPort(ports.otlpHttp), waitForPort(ports.queryHttp)]).then(
      () => undefined,
      (err: Error) => err.message,
    );
    const outcome = await Promise.race([listening, exit]);
    if (outcome) throw new Error(outcome);
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`jaeger (${bin}) did not start: ${(err as Error).message}\n${output}`, { cause: err });
  }

  return {
    otlpHttpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    queryUrl: `http://127.0.0.1:${ports.queryHttp}`,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
