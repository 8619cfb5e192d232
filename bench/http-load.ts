import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * autocannon in a child process: the API runs in this process, and a load generator on the same
 * event loop would queue behind the requests it measures. Latencies are autocannon's (milliseconds,
 * 2xx responses only, corrected for coordinated omission when a rate is set).
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
 * The same load against a bare `node:http` server in this process answering `{}`: what the machine,
 * loopback and autocannon cost before the API does anything.
 */
export async function loopbackFloor(options: Omit<LoadOptions, "url" | "headers">): Promise<LoadResult> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await load({ ...options, url: `http://127.0.0.1:${port}/`, headers: {} });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function child(options: LoadOptions): Promise<LoadResult> {
  const autocannon = require("autocannon") as Autocannon;
  let sent = 0;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    overallRate: options.ratePerSecond,
    duration: options.durationSeconds,
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
