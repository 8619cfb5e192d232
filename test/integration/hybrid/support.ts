import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { RegistryCredentials } from "../../../components/run/pull-secret";

/**
 * Helpers of the hybrid mode's integration tests: buckets in the test environment's moto, and a
 * stand-in for ECR's registry endpoint (moto has ECR's API but no registry behind it).
 */

/** A name no other test run uses: lowercase, DNS- and bucket-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** An S3 client for moto (`S3_ENDPOINT` of the env file); credentials from the env file (`test`). */
export function motoS3(): S3Client {
  return new S3Client({
    endpoint: process.env.S3_ENDPOINT,
    forcePathStyle: true,
    region: process.env.AWS_REGION,
  });
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Every key below `prefix` in `bucket`. */
export async function listKeys(s3: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A registry that answers like ECR's endpoint for the tests: TLS, and only the given credentials. */
export interface StandInRegistry {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  /** Status of `GET /v2/` with the given basic credentials (none: anonymous). */
  status(credentials?: { username: string; password: string }): Promise<number>;
  /** Repositories that hold images. */
  catalog(credentials: { username: string; password: string }): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `docker-registry` on a free loopback port, with TLS (the test environment's
 * registry certificate: CN/SAN 127.0.0.1, signed by its CA) and an htpasswd file made from the
 * credentials ECR's GetAuthorizationToken returned, so that the pull secret built from the token is
 * what opens it — as ECR's endpoint would accept the token.
 *
 * The node's containerd trusts the CA only for the hosts that have a `hosts.toml` in its `certs.d`
 * (the test environment writes one for its own registry); any other loopback registry it talks to
 * in plain HTTP, which a TLS registry answers with 400. So this adds a `hosts.toml` for its port
 * while it runs, and removes it on `stop()`.
 */
export async function startStandInRegistry(credentials: RegistryCredentials): Promise<StandInRegistry> {
  const pki = path.dirname(process.env.REGISTRY_CA!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-standin-ecr-"));
  const port = await freeLoopbackPort();
  const htpasswd = execFileSync("htpasswd", ["-Bbn", credentials.username, credentials.password], {
    encoding: "utf8",
  });
  fs.writeFileSync(path.join(dir, "htpasswd"), htpasswd);
  fs.mkdirSync(path.join(dir, "data"));
  fs.writeFileSync(
    path.join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn}",
      `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      `  tls: {certificate: ${pki}/registry.crt, key: ${pki}/registry.key}`,
      `auth: {htpasswd: {realm: standin-ecr, path: ${dir}/htpasswd}}`,
      "",
    ].join("\n"),
  );
  const hostsDir = path.join(process.env.TESTENV_STATE!, "containerd", "certs.d", `127.0.0.1:${port}`);
  fs.mkdirSync(hostsDir, { recursive: true });
  fs.writeFileSync(
    path.join(hostsDir, "hosts.toml"),
    [
      `server = "https://127.0.0.1:${port}"`,
      `[host."https://127.0.0.1:${port}"]`,
      `  capabilities = ["pull", "resolve"]`,
      `  ca = "${process.env.REGISTRY_CA}"`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const ca = fs.readFileSync(process.env.REGISTRY_CA!);
  const get = (urlPath: string, auth?: { username: string; password: string }) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = https.get(
        {
          host: "127.0.0.1",
          port,
          path: urlPath,
          ca,
          headers: auth
            ? {
                authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`,
              }
            : {},
        },
        (response) => {
          let body = "";
          response.on("data", (c) => (body += String(c)));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on("error", reject);
    });
  const registry: StandInRegistry = {
    host: `127.0.0.1:${port}`,
    status: async (auth) => (await get("/v2/", auth)).status,
    catalog: async (auth) =>
      (JSON.parse((await get("/v2/_catalog", auth)).body).repositories ?? []) as string[],
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(hostsDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await registry.status()) === 401) return registry;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the stand-in registry did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A clock the test moves by hand: `sleep` resolves once `advance` has passed its deadline. */
export class ManualClock {
  private current: number;
  private sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = { until: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** Moves time on, waking every sleeper whose time has come. */
  advance(ms: number): void {
    this.current += ms;
    const due = this.sleepers.filter((s) => s.until <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.until > this.current);
    for (const sleeper of due) sleeper.resolve();
  }

  /** How many are asleep (the refresher waits here between rounds). */
  get waiting(): number {
    return this.sleepers.length;
  }
}

/** A symmetric KMS key in moto, for an `awskms://` secrets provider; returns its id. */
export async function createKmsKey(): Promise<string> {
  // moto does not check signatures: a request with the credential scope's shape is enough.
  const response = await fetch(`${process.env.AWS_ENDPOINT_URL}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "TrentService.CreateKey",
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${process.env.AWS_REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: "reporunner integration test" }),
  });
  if (!response.ok) throw new Error(`moto CreateKey: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
}

/**
 * A small Pulumi project of its own (no providers: outputs only, one of them secret), run by the
 * CLI in its own language host with this repository's node_modules. With `REPORUNNER_IT_SLOW` set
 * its update takes a minute, long enough to be killed in the middle.
 */
export function outputsOnlyProject(projectRoot: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-hybrid-project-"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    "name: reporunner-hybrid-it\nruntime: nodejs\nmain: index.js\n",
  );
  fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(dir, "node_modules"));
  fs.writeFileSync(
    path.join(dir, "index.js"),
    [
      'const pulumi = require("@pulumi/pulumi");',
      "const outputs = {",
      "  greeting: `hello from ${pulumi.getStack()}`,",
      "  token: pulumi.secret(`kms-protected-${pulumi.getStack()}`),",
      "};",
      "module.exports = process.env.REPORUNNER_IT_SLOW",
      "  ? new Promise((resolve) => setTimeout(() => resolve(outputs), 60_000))",
      "  : outputs;",
      "",
    ].join("\n"),
  );
  return dir;
}
