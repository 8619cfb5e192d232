import { execFile, spawn } from "node:child_process";

/**
 * autocannon in a child process of its own, so that it shares no event loop with the bench or with
 * the server it measures. Latencies are autocannon's (milliseconds, 2xx responses only, corrected for
 * coordinated omission when a rate is set).
 */
export interface LoadOptions {
  readonly url: string;
  readonly method?: "GET" | "POST";
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Sends a new Idempotency-Key with every request. */
  readonly idempotencyKeys?: boolean;
  readonly ratePerSecond: number;
  readonly connections: number;
  readonly durationSeconds: number;
  /**
   * The same load for this long first, not counted: the server's JIT, caches and connection pools
   * warm up, so the measured seconds are its steady state and not its first seconds.
   */
  readonly warmUpSeconds?: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface AutocannonResult {
  latency: { p50: number; p99: number; max: number };
  requests: { total: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface AutocannonRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The part of autocannon's programmatic API used here (the package ships no types). */
type Autocannon = (options: {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  overallRate: number;
  duration: number;
  requests?: { setupRequest: (request: AutocannonRequest) => AutocannonRequest }[];
}) => Promise<AutocannonResult>;

/** Runs the load in a child process (this file, run with tsx) and returns its figures. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--require", require.resolve("tsx/cjs"), __filename, JSON.stringify(options)],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, out, err) =>
        error ? reject(new Error(`autocannon failed: ${error.message}\n${err}`)) : resolve(out),
    ),
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as LoadResult;
}

/**
 * The server of the floor: a bare `node:http` server answering `{}`, alone in a plain node process
 * like the API it is compared with (`bin/api.js`). Prints its port.
 */
const BARE_SERVER = `
const server = require("node:http").createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/**
 * The same load against the bare server: what the machine, loopback and autocannon cost before the
 * API does anything.
 */
export async function loopbackFloor(options: Omit<LoadOptions, "url" | "headers">): Promise<LoadResult> {
  const server = spawn(process.execPath, ["-e", BARE_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => server.once("exit", r));
  try {
    const port = await new Promise<string>((resolve, reject) => {
      server.once("exit", (code) => reject(new Error(`the bare server exited (${code})`)));
      server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
    });
    return await load({ ...options, url: `http://127.0.0.1:${port}/`, headers: {} });
  } finally {
    server.kill("SIGTERM");
    await exited;
  }
}

async function child(options: LoadOptions): Promise<LoadResult> {
  const autocannon = require("autocannon") as Autocannon;
  let sent = 0;
  const run = (duration: number) =>
    autocannon({
      url: options.url,
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      connections: options.connections,
      overallRate: options.ratePerSecond,
      duration,
      ...(options.idempotencyKeys
        ? {
            requests: [
              {
                setupRequest: (request) => ({
                  ...request,
                  headers: { ...request.headers, "idempotency-key": `bench-${process.pid}-${sent++}` },
                }),
              },
            ],
          }
        : {}),
    });
  if (options.warmUpSeconds) await run(options.warmUpSeconds);
  const result = await run(options.durationSeconds);
  return {
    requests: result.requests.total,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

if (require.main === module) {
  child(JSON.parse(process.argv[2]!) as LoadOptions).then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
