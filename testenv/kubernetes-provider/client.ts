/**
 * A small Kubernetes REST client: @kubernetes/client-node's KubeConfig loads the kubeconfig and gives the TLS
 * and auth options; the requests themselves are plain HTTPS, so that server-side apply, warnings, discovery and
 * status errors are exactly what the API server says.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { isObject, type Json, type JsonObject } from "./values";

export const FIELD_MANAGER = "pulumi-kubernetes";

export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject;
}

export interface ConnectionConfig {
  /** A kubeconfig's contents (YAML or JSON), or a path (or a `:`-separated list of paths) to one. */
  kubeconfig?: string;
  context?: string;
  cluster?: string;
}

/** An error answered by the API server (it has an HTTP status), or a failure to reach it (`unreachable`). */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string = "",
    readonly unreachable = false,
    readonly details?: JsonObject,
  ) {
    super(message);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeError && error.status === 404;
}

export function isUnreachable(error: unknown): boolean {
  return error instanceof KubeError && error.unreachable;
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
}

interface Response {
  status: number;
  body: Json;
  text: string;
  warnings: string[];
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEOUT",
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function looksLikeKubeconfigContents(value: string): boolean {
  const trimmed = value.trim();
  return (
    trimmed.includes("\n") || trimmed.startsWith("{") || /^(apiVersion|kind|clusters)\s*:/m.test(trimmed)
  );
}

export class KubeClient {
  private readonly resources = new Map<string, Promise<ApiResource[]>>();

  private constructor(
    private readonly server: URL,
    private readonly options: https.RequestOptions,
    /** The namespace the kubeconfig's context names, or "default". */
    readonly contextNamespace: string,
  ) {}

  /** Loads the kubeconfig and the TLS/auth options. Failing to read it counts as an unreachable cluster. */
  static async connect(config: ConnectionConfig): Promise<KubeClient> {
    let kc: KubeConfig;
    try {
      // @kubernetes/client-node 1.x is an ES module: Node 20.19+ can require() it; load it only when needed.
      const { KubeConfig: KubeConfigClass } = await import("@kubernetes/client-node");
      kc = new KubeConfigClass();
      const source = config.kubeconfig?.trim();
      if (source && looksLikeKubeconfigContents(source)) {
        kc.loadFromString(source);
      } else if (source) {
        const file = source.split(":").find((p) => p && fs.existsSync(p));
        if (!file) throw new Error(`kubeconfig file ${source} does not exist`);
        kc.loadFromFile(file);
      } else {
        kc.loadFromDefault();
      }
      if (config.context) kc.setCurrentContext(config.context);
      const context = kc.getContextObject(kc.getCurrentContext());
      if (!context) throw new Error(`kubeconfig has no context ${JSON.stringify(kc.getCurrentContext())}`);
      const cluster = config.cluster ? kc.getCluster(config.cluster) : kc.getCurrentCluster();
      if (!cluster)
        throw new Error(`kubeconfig has no cluster ${JSON.stringify(config.cluster ?? context.cluster)}`);
      if (config.cluster) {
        kc.contexts = kc.contexts.map((c) => (c.name === context.name ? { ...c, cluster: cluster.name } : c));
      }
      const options: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(options);
      return new KubeClient(new URL(cluster.server), options, context.namespace || "default");
    } catch (error) {
      if (error instanceof KubeError) throw error;
      throw new KubeError(`cannot load the kubeconfig: ${(error as Error).message}`, 0, "", true);
    }
  }

  get serverUrl(): string {
    return this.server.toString();
  }

  /** One HTTP request; retries a few times on connection errors before calling the cluster unreachable. */
  async request(
    method: string,
    path: string,
    opts: { body?: Json; contentType?: string; query?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Response> {
    const url = new URL(path.replace(/^\//, ""), this.server.toString().replace(/\/?$/, "/"));
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.once(method, url, opts.body, opts.contentType, opts.timeoutMs ?? 30_000);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        if (!UNREACHABLE_CODES.has(code)) throw error;
        lastError = error as Error;
        await sleep(500 * (attempt + 1));
      }
    }
    throw new KubeError(
      `the Kubernetes API server at ${this.server.origin} is unreachable: ${lastError?.message}`,
      0,
      "",
      true,
    );
  }

  private once(
    method: string,
    url: URL,
    body: Json | undefined,
    contentType: string | undefined,
    timeoutMs: number,
  ): Promise<Response> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: http.OutgoingHttpHeaders = {
      ...(this.options.headers as http.OutgoingHttpHeaders | undefined),
      Accept: "application/json",
    };
    if (payload) {
      headers["Content-Type"] = contentType ?? "application/json";
      headers["Content-Length"] = payload.length;
    }
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...this.options, method, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Json;
          try {
            parsed = text ? (JSON.parse(text) as Json) : null;
          } catch {
            parsed = text;
          }
          const warning = res.headers.warning;
          const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) =>
            w.replace(/^\d+\s+\S+\s+"(.*)"$/s, "$1").replace(/\\"/g, '"'),
          );
          resolve({ status: res.statusCode ?? 0, body: parsed, text, warnings });
        });
      });
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEOUT" })),
      );
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Like request, but throws a KubeError for any status ≥ 400 (message: the API server's). */
  async call(
    method: string,
    path: string,
    opts: { body?: Json; contentType?: string; query?: Record<string, string> } = {},
  ): Promise<Response> {
    const res = await this.request(method, path, opts);
    if (res.status >= 400) {
      const status = isObject(res.body) ? res.body : undefined;
      const message =
        typeof status?.message === "string" ? status.message : res.text.trim() || `HTTP ${res.status}`;
      const reason = typeof status?.reason === "string" ? status.reason : "";
      const details = isObject(status?.details) ? status.details : undefined;
      throw new KubeError(message, res.status, reason, false, details);
    }
    return res;
  }

  /** Discovery: the resource (plural name, scope) that serves `kind` in `apiVersion`. Retries while a CRD lands. */
  async resourceFor(apiVersion: string, kind: string, waitMs = 30_000): Promise<ApiResource> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let list = this.resources.get(apiVersion);
      if (!list) {
        list = this.discover(apiVersion);
        this.resources.set(apiVersion, list);
        list.catch(() => this.resources.delete(apiVersion));
      }
      let found: ApiResource | undefined;
      try {
        found = (await list).find((r) => r.kind === kind && !r.name.includes("/"));
      } catch (error) {
        if (!isNotFound(error) || Date.now() > deadline) throw error;
      }
      if (found) return found;
      this.resources.delete(apiVersion);
      if (Date.now() > deadline) {
        throw new KubeError(
          `the cluster does not serve kind ${kind} in apiVersion ${apiVersion}`,
          404,
          "NotFound",
        );
      }
      await sleep(2_000);
    }
  }

  private async discover(apiVersion: string): Promise<ApiResource[]> {
    const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await this.call("GET", path);
    const resources = isObject(res.body) && Array.isArray(res.body.resources) ? res.body.resources : [];
    return resources.filter(isObject).map((r) => ({
      name: String(r.name),
      namespaced: r.namespaced === true,
      kind: String(r.kind),
    }));
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const resource = await this.resourceFor(apiVersion, kind);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${base}${ns}/${resource.name}`;
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resourceFor(apiVersion, kind)).namespaced;
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    return (await this.call("GET", `${path}/${encodeURIComponent(name)}`)).body as KubeObject;
  }

  async tryGet(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.get(apiVersion, kind, namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Server-side apply, owning every field given (force). */
  async apply(object: KubeObject, dryRun = false): Promise<{ object: KubeObject; warnings: string[] }> {
    const name = String(object.metadata.name);
    const namespace = typeof object.metadata.namespace === "string" ? object.metadata.namespace : undefined;
    const path = await this.collectionPath(object.apiVersion, object.kind, namespace);
    const query: Record<string, string> = { fieldManager: FIELD_MANAGER, force: "true" };
    if (dryRun) query.dryRun = "All";
    const res = await this.call("PATCH", `${path}/${encodeURIComponent(name)}`, {
      body: object,
      contentType: "application/apply-patch+yaml",
      query,
    });
    return { object: res.body as KubeObject, warnings: res.warnings };
  }

  /** DELETE; false when the object was already gone. */
  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    propagationPolicy = "Foreground",
  ): Promise<boolean> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    try {
      await this.call("DELETE", `${path}/${encodeURIComponent(name)}`, {
        body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      // A namespace already Terminating answers 409 Conflict: its deletion is under way.
      if (error instanceof KubeError && error.status === 409) {
        const live = await this.tryGet(apiVersion, kind, namespace, name);
        if (!live) return false;
        if (isObject(live.metadata) && live.metadata.deletionTimestamp) return true;
      }
      throw error;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    query: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[]> {
    const path = await this.collectionPath(apiVersion, kind, namespace);
    const q: Record<string, string> = {};
    if (query.labelSelector) q.labelSelector = query.labelSelector;
    if (query.fieldSelector) q.fieldSelector = query.fieldSelector;
    const res = await this.call("GET", path, { query: q });
    const items = isObject(res.body) && Array.isArray(res.body.items) ? res.body.items : [];
    return items.filter(isObject) as KubeObject[];
  }

  /** The last `tail` lines a container logged (of its previous run with `previous`); "" when there are none. */
  async logs(
    namespace: string,
    pod: string,
    container: string,
    tail = 10,
    previous = false,
  ): Promise<string> {
    const query: Record<string, string> = { container, tailLines: String(tail) };
    if (previous) query.previous = "true";
    try {
      const res = await this.request(
        "GET",
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
        { query, timeoutMs: 10_000 },
      );
      return res.status < 400 ? res.text.trimEnd() : "";
    } catch {
      return "";
    }
  }
}

/** `app=hello,tier in (web)`: a label selector (matchLabels and matchExpressions) as a query string. */
export function selectorString(selector: Json | undefined): string | undefined {
  if (!isObject(selector)) return undefined;
  const parts: string[] = [];
  if (isObject(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push(`${k}=${String(v)}`);
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions.filter(isObject)) {
      const values = Array.isArray(e.values) ? e.values.map(String).join(",") : "";
      switch (e.operator) {
        case "In":
          parts.push(`${e.key} in (${values})`);
          break;
        case "NotIn":
          parts.push(`${e.key} notin (${values})`);
          break;
        case "Exists":
          parts.push(String(e.key));
          break;
        case "DoesNotExist":
          parts.push(`!${e.key}`);
          break;
      }
    }
  }
  return parts.length ? parts.join(",") : undefined;
}
