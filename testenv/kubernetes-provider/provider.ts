/**
 * The resource provider's behaviour, free of gRPC: configuration, check / diff / create / read / update / delete
 * of Kubernetes objects, and the kubernetes:yaml:decode function. main.ts serves it to the engine.
 */
import { createHash, randomBytes } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { AwaitError, awaitDeleted, awaitReady, describe, type Reporter } from "./await";
import { isNotFound, isUnreachable, KubeClient, KubeError, type KubeObject } from "./client";
import {
  alwaysSecretOutputs,
  changeNeedsReplace,
  nameOfUrn,
  parseTypeToken,
  stripServerFields,
  typeOfUrn,
} from "./resource-types";
import {
  clone,
  containsUnknowns,
  deepMerge,
  diffPaths,
  formatPath,
  getPath,
  getString,
  isObject,
  isSecret,
  markSecretAt,
  reveal,
  secret,
  secretPaths,
  UNKNOWN,
  type Json,
  type JsonObject,
} from "./values";

export const PROVIDER_VERSION = "4.32.0";
export const AUTONAMED_ANNOTATION = "pulumi.com/autonamed";
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export interface ProviderConfig {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  namespace?: string;
  deleteUnreachable: boolean;
  enableConfigMapMutable: boolean;
  enableSecretMutable: boolean;
  upsertExistingObjects: boolean;
}

export type Severity = "debug" | "info" | "warning" | "error";

/** Where the provider's messages go (the engine's log, shown next to the resource). */
export interface EngineLog {
  log(severity: Severity, urn: string, message: string, ephemeral?: boolean): void;
}

/** The object exists but did not become ready: the engine records it (id, outputs) and reports the failure. */
export class InitError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: JsonObject,
    readonly inputs: JsonObject,
  ) {
    super(message);
  }
}

export interface CheckResult {
  inputs: JsonObject;
  failures: { property: string; reason: string }[];
}

export type DiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
  detailedDiff: Record<string, DiffKind>;
}

interface Target {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

const truthy = (value: Json | undefined) => value === true || value === "true";

function configValue(value: Json | undefined): string | undefined {
  const plain = reveal(value ?? null);
  if (plain === null || plain === undefined || plain === "") return undefined;
  return typeof plain === "string" ? plain : JSON.stringify(plain);
}

/** The id of an object: `namespace/name`, or `name` for cluster-scoped kinds. */
export function idOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function parseId(id: string): { namespace?: string; name: string } {
  const slash = id.indexOf("/");
  return slash < 0 ? { name: id } : { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

function hasSkipAwait(object: Json | undefined): boolean {
  return getString(object, ["metadata", "annotations", SKIP_AWAIT_ANNOTATION]) === "true";
}

/** Keeps only what `shape` has: the part of a live object that inputs would set (for diffs without old inputs). */
function restrictTo(live: Json | undefined, shape: Json | undefined): Json | undefined {
  if (isObject(live) && isObject(shape)) {
    const out: JsonObject = {};
    for (const key of Object.keys(shape)) {
      const value = restrictTo(live[key], shape[key]);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  if (Array.isArray(live) && Array.isArray(shape) && live.length === shape.length) {
    return live.map((v, i) => restrictTo(v, shape[i]) ?? null);
  }
  return live;
}

export class KubernetesProvider {
  private config: ProviderConfig = KubernetesProvider.parseConfig({});
  private client?: Promise<KubeClient>;
  private cancelled = false;

  constructor(private readonly engine: EngineLog) {}

  /** Provider config from Configure: `args` (the provider resource's inputs) or `kubernetes:config:*` variables. */
  static parseConfig(values: Record<string, Json | undefined>): ProviderConfig {
    const env = process.env;
    const flag = (key: string, envName: string) =>
      values[key] !== undefined ? truthy(reveal(values[key] ?? null)) : env[envName] === "true";
    return {
      kubeconfig: configValue(values.kubeconfig),
      context: configValue(values.context),
      cluster: configValue(values.cluster),
      namespace: configValue(values.namespace),
      deleteUnreachable: flag("deleteUnreachable", "PULUMI_K8S_DELETE_UNREACHABLE"),
      enableConfigMapMutable: flag("enableConfigMapMutable", "PULUMI_K8S_ENABLE_CONFIGMAP_MUTABLE"),
      enableSecretMutable: flag("enableSecretMutable", "PULUMI_K8S_ENABLE_SECRET_MUTABLE"),
      upsertExistingObjects: flag("upsertExistingObjects", "PULUMI_K8S_UPSERT_EXISTING_OBJECTS"),
    };
  }

  configure(variables: Record<string, string>, args: JsonObject | undefined): void {
    const values: Record<string, Json | undefined> = {};
    for (const [key, value] of Object.entries(variables)) values[key.slice(key.lastIndexOf(":") + 1)] = value;
    if (args) Object.assign(values, args);
    this.config = KubernetesProvider.parseConfig(values);
    this.client = undefined;
  }

  get configuration(): ProviderConfig {
    return this.config;
  }

  cancel(): void {
    this.cancelled = true;
  }

  private connect(): Promise<KubeClient> {
    if (!this.client) {
      this.client = KubeClient.connect(this.config);
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }

  private defaultNamespace(client: KubeClient): string {
    return this.config.namespace ?? client.contextNamespace;
  }

  private reporter(urn: string): Reporter {
    return {
      status: (message) => this.engine.log("info", urn, message, true),
      warn: (message) => this.engine.log("warning", urn, message),
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Provider config

  diffConfig(olds: JsonObject, news: JsonObject): DiffResult {
    const keys = ["kubeconfig", "context", "cluster", "namespace"];
    const changed = keys.filter(
      (k) =>
        containsUnknowns(news[k]) ||
        JSON.stringify(reveal(olds[k] ?? null)) !== JSON.stringify(reveal(news[k] ?? null)),
    );
    const others = Object.keys({ ...olds, ...news }).filter(
      (k) =>
        !keys.includes(k) &&
        JSON.stringify(reveal(olds[k] ?? null)) !== JSON.stringify(reveal(news[k] ?? null)),
    );
    const diffs = [...changed, ...others];
    return {
      changes: diffs.length > 0,
      replaces: [],
      diffs,
      deleteBeforeReplace: false,
      detailedDiff: Object.fromEntries(diffs.map((k) => [k, "update"])),
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Resources

  async check(
    urn: string,
    type: string,
    olds: JsonObject,
    news: JsonObject,
    seed: Uint8Array,
  ): Promise<CheckResult> {
    const kubeType = parseTypeToken(type || typeOfUrn(urn));
    const inputs = clone(news);
    inputs.apiVersion ??= kubeType.apiVersion;
    inputs.kind ??= kubeType.kind;
    if (isSecret(inputs.metadata)) inputs.metadata = reveal(inputs.metadata);
    if (!isObject(inputs.metadata)) inputs.metadata = {};
    const metadata = inputs.metadata;
    const failures: CheckResult["failures"] = [];
    if (metadata.name === undefined || metadata.name === null || metadata.name === "") {
      const oldName = getString(olds, ["metadata", "name"]);
      const oldAutonamed = getString(olds, ["metadata", "annotations", AUTONAMED_ANNOTATION]) === "true";
      let name = oldAutonamed ? oldName : undefined;
      if (!name) {
        const random =
          seed.length > 0 ? createHash("sha256").update(seed).digest("hex") : randomBytes(4).toString("hex");
        name = `${nameOfUrn(urn)}-${random.slice(0, 8)}`;
      }
      metadata.name = name;
      const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
      if (!containsUnknowns(metadata.annotations ?? null) || isObject(metadata.annotations)) {
        metadata.annotations = { ...annotations, [AUTONAMED_ANNOTATION]: "true" };
      }
    } else if (typeof metadata.name === "string" && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(metadata.name)) {
      failures.push({
        property: "metadata.name",
        reason: `${JSON.stringify(metadata.name)} is not a valid Kubernetes object name (lowercase RFC 1123)`,
      });
    }
    return { inputs, failures };
  }

  async diff(
    urn: string,
    type: string,
    olds: JsonObject,
    news: JsonObject,
    oldInputs: JsonObject,
  ): Promise<DiffResult> {
    const kubeType = parseTypeToken(type || typeOfUrn(urn));
    const newIn = reveal(news) as JsonObject;
    const haveOldInputs = Object.keys(oldInputs).length > 0;
    const oldIn = (
      haveOldInputs ? reveal(oldInputs) : restrictTo(stripServerFields(reveal(olds), true), newIn)
    ) as JsonObject | undefined;
    const changes = diffPaths(oldIn ?? {}, newIn);
    const kind = getString(newIn, ["kind"]) ?? kubeType.kind;
    const replacing = new Set<string>();

    // Where the object lives: its name and namespace (a missing namespace means the provider's default).
    const oldName = getString(olds, ["metadata", "name"]) ?? getString(oldIn, ["metadata", "name"]);
    const newName = getPath(newIn, ["metadata", "name"]);
    if (newName === UNKNOWN || (oldName !== undefined && newName !== oldName)) replacing.add("metadata.name");
    const oldNs = getString(olds, ["metadata", "namespace"]);
    let newNs = getPath(newIn, ["metadata", "namespace"]);
    if ((newNs === undefined || newNs === null || newNs === "") && oldNs !== undefined) {
      newNs =
        this.config.namespace ??
        (await this.connect().then(
          (c) => c.contextNamespace,
          () => "default",
        ));
    }
    if (newNs === UNKNOWN || (oldNs !== undefined && newNs !== oldNs)) replacing.add("metadata.namespace");

    const options = {
      enableConfigMapMutable: this.config.enableConfigMapMutable,
      enableSecretMutable: this.config.enableSecretMutable,
    };
    const detailedDiff: Record<string, DiffKind> = {};
    for (const change of changes) {
      const path = change.path;
      if (path[0] === "metadata" && (path[1] === "name" || path[1] === "namespace") && path.length === 2) {
        if (replacing.has(formatPath(path))) detailedDiff[formatPath(path)] = `${change.kind}-replace`;
        continue;
      }
      const replace = changeNeedsReplace(kind, path, oldIn, options);
      if (replace) replacing.add(formatPath(path));
      detailedDiff[formatPath(path)] = replace ? `${change.kind}-replace` : change.kind;
    }
    for (const key of replacing) detailedDiff[key] ??= "update-replace";
    const replaces = [...replacing];
    const autonamed = getString(newIn, ["metadata", "annotations", AUTONAMED_ANNOTATION]) === "true";
    return {
      changes: changes.length > 0 || replaces.length > 0,
      replaces,
      diffs: [
        ...new Set([...changes.map((c) => String(c.path[0])), ...replaces.map((r) => r.split(/[.[]/)[0])]),
      ],
      deleteBeforeReplace: replaces.length > 0 && !autonamed,
      detailedDiff,
    };
  }

  /** Outputs: the live object (without managedFields), with the inputs' secrets (and Secret data) kept secret. */
  private outputs(live: KubeObject, inputs: JsonObject): JsonObject {
    const out = stripServerFields(clone(live), false) as JsonObject;
    for (const path of secretPaths(inputs)) markSecretAt(out, path);
    if (live.kind === "Secret" && inputs.stringData !== undefined) out.stringData = reveal(inputs.stringData);
    for (const key of alwaysSecretOutputs(live.kind)) {
      if (out[key] !== undefined) out[key] = secret(reveal(out[key]));
    }
    return out;
  }

  /** What a preview expects the outputs to be: the inputs, with what the cluster fills in unknown. */
  private previewOutputs(inputs: JsonObject): JsonObject {
    const out = clone(inputs);
    out.status = UNKNOWN;
    if (out.kind === "Service" && isObject(out.spec)) {
      const spec = out.spec;
      spec.clusterIP ??= UNKNOWN;
      if ((spec.type === "NodePort" || spec.type === "LoadBalancer") && Array.isArray(spec.ports)) {
        for (const port of spec.ports) if (isObject(port)) port.nodePort ??= UNKNOWN;
      }
    }
    if (isObject(out.metadata)) {
      out.metadata.uid ??= UNKNOWN;
      out.metadata.namespace ??= this.config.namespace ?? UNKNOWN;
    }
    return out;
  }

  private timeoutMs(seconds: number): number {
    return seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_MS;
  }

  /** Applies the object and waits for it; the object ends up in the state even when the wait fails. */
  private async applyAndAwait(
    urn: string,
    inputs: JsonObject,
    object: KubeObject,
    timeoutSeconds: number,
    creating: boolean,
  ): Promise<{ id: string; properties: JsonObject }> {
    const client = await this.connect();
    const namespaced = await client.isNamespaced(object.apiVersion, object.kind);
    if (namespaced && !getString(object, ["metadata", "namespace"]))
      object.metadata.namespace = this.defaultNamespace(client);
    if (!namespaced) delete object.metadata.namespace;
    const namespace = namespaced ? String(object.metadata.namespace) : undefined;
    const name = String(object.metadata.name);
    const id = idOf(namespace, name);
    const verb = creating ? "creating" : "updating";

    if (creating && !this.config.upsertExistingObjects) {
      const existing = await client.tryGet(object.apiVersion, object.kind, namespace, name);
      if (existing) {
        const terminating = getPath(existing, ["metadata", "deletionTimestamp"])
          ? " (and is being deleted)"
          : "";
        throw new Error(
          `${verb} ${describe(object)}: it already exists${terminating}; choose another name, delete it, or set ` +
            `upsertExistingObjects on the provider to adopt it`,
        );
      }
    }

    const since = Date.now();
    let applied: KubeObject;
    try {
      const result = await client.apply(object);
      applied = result.object;
      for (const warning of result.warnings)
        this.engine.log("warning", urn, `${describe(object)}: ${warning}`);
    } catch (error) {
      throw new Error(`${verb} ${describe(object)}: ${(error as Error).message}`, { cause: error });
    }
    if (hasSkipAwait(object)) return { id, properties: this.outputs(applied, inputs) };
    try {
      const live = await awaitReady(applied, {
        client,
        reporter: this.reporter(urn),
        deadline: since + this.timeoutMs(timeoutSeconds),
        since,
        isCancelled: () => this.cancelled,
      });
      return { id, properties: this.outputs(live, inputs) };
    } catch (error) {
      const latest = await client
        .tryGet(object.apiVersion, object.kind, namespace, name)
        .catch(() => undefined);
      const message =
        error instanceof AwaitError ? error.message : `${describe(object)}: ${(error as Error).message}`;
      throw new InitError(message, id, this.outputs(latest ?? applied, inputs), inputs);
    }
  }

  private objectFrom(type: string, urn: string, inputs: JsonObject): KubeObject {
    const kubeType = parseTypeToken(type || typeOfUrn(urn));
    const object = reveal(inputs) as JsonObject;
    object.apiVersion ??= kubeType.apiVersion;
    object.kind ??= kubeType.kind;
    if (!isObject(object.metadata)) object.metadata = {};
    return object as KubeObject;
  }

  async create(
    urn: string,
    type: string,
    inputs: JsonObject,
    timeoutSeconds: number,
    preview: boolean,
  ): Promise<{ id: string; properties: JsonObject }> {
    const object = this.objectFrom(type, urn, inputs);
    if (preview) return { id: "", properties: this.previewOutputs(inputs) };
    return this.applyAndAwait(urn, inputs, object, timeoutSeconds, true);
  }

  async update(
    urn: string,
    type: string,
    id: string,
    olds: JsonObject,
    news: JsonObject,
    timeoutSeconds: number,
    preview: boolean,
  ): Promise<{ properties: JsonObject }> {
    const object = this.objectFrom(type, urn, news);
    if (preview) return { properties: (deepMerge(olds, news) as JsonObject) ?? news };
    if (!getString(object, ["metadata", "namespace"])) {
      const namespace = getString(olds, ["metadata", "namespace"]) ?? parseId(id).namespace;
      if (namespace) object.metadata.namespace = namespace;
    }
    const { properties } = await this.applyAndAwait(urn, news, object, timeoutSeconds, false);
    return { properties };
  }

  private target(type: string, urn: string, id: string, props: JsonObject): Target {
    const kubeType = parseTypeToken(type || typeOfUrn(urn));
    const parsed = parseId(id);
    return {
      apiVersion: getString(props, ["apiVersion"]) ?? kubeType.apiVersion,
      kind: getString(props, ["kind"]) ?? kubeType.kind,
      namespace: parsed.namespace ?? getString(props, ["metadata", "namespace"]),
      name: parsed.name || (getString(props, ["metadata", "name"]) ?? ""),
    };
  }

  async read(
    urn: string,
    type: string,
    id: string,
    props: JsonObject,
    inputs: JsonObject,
  ): Promise<{ id: string; properties: JsonObject; inputs: JsonObject }> {
    const target = this.target(type, urn, id, props);
    let live: KubeObject;
    try {
      const client = await this.connect();
      let namespace = target.namespace;
      if (!namespace && (await client.isNamespaced(target.apiVersion, target.kind)))
        namespace = this.defaultNamespace(client);
      live = await client.get(target.apiVersion, target.kind, namespace, target.name);
    } catch (error) {
      if (isNotFound(error)) return { id: "", properties: {}, inputs: {} };
      if (isUnreachable(error) && this.config.deleteUnreachable) {
        this.engine.log("info", urn, `cluster unreachable and deleteUnreachable is set: treating as deleted`);
        return { id: "", properties: {}, inputs: {} };
      }
      throw error;
    }
    const haveInputs = Object.keys(inputs).length > 0;
    const newInputs = haveInputs ? inputs : (stripServerFields(clone(live), true) as JsonObject);
    const secretsFrom = haveInputs ? inputs : props;
    return {
      id: idOf(getString(live, ["metadata", "namespace"]), target.name),
      properties: this.outputs(live, secretsFrom),
      inputs: newInputs,
    };
  }

  async delete(
    urn: string,
    type: string,
    id: string,
    props: JsonObject,
    timeoutSeconds: number,
  ): Promise<void> {
    const target = this.target(type, urn, id, props);
    const object: KubeObject = {
      apiVersion: target.apiVersion,
      kind: target.kind,
      metadata: { name: target.name },
    };
    if (target.namespace) object.metadata.namespace = target.namespace;
    const uid = getString(props, ["metadata", "uid"]);
    if (uid) object.metadata.uid = uid;
    const since = Date.now();
    let client: KubeClient;
    try {
      client = await this.connect();
      const found = await client.delete(
        target.apiVersion,
        target.kind,
        target.namespace,
        target.name,
        "Foreground",
      );
      if (!found) return;
    } catch (error) {
      if (isUnreachable(error) && this.config.deleteUnreachable) {
        this.engine.log(
          "warning",
          urn,
          `${describe(object)}: the cluster is unreachable and deleteUnreachable is set: removing it from the state`,
        );
        return;
      }
      if (error instanceof KubeError && error.status === 404 && /does not serve kind/.test(error.message))
        return;
      throw new Error(`deleting ${describe(object)}: ${(error as Error).message}`, { cause: error });
    }
    if (hasSkipAwait(props)) return;
    await awaitDeleted(object, {
      client,
      reporter: this.reporter(urn),
      deadline: since + this.timeoutMs(timeoutSeconds),
      since,
      isCancelled: () => this.cancelled,
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Functions

  async invoke(token: string, args: JsonObject): Promise<JsonObject> {
    if (token === "kubernetes:yaml:decode") {
      const text = String(reveal(args.text ?? ""));
      const documents = parseAllDocuments(text);
      const result: Json[] = [];
      for (const doc of Array.isArray(documents) ? documents : [documents]) {
        if (doc.errors.length) throw new Error(`kubernetes:yaml:decode: ${doc.errors[0].message}`);
        const value = doc.toJSON() as Json;
        if (value !== null && value !== undefined) result.push(value);
      }
      return { result };
    }
    throw new Error(
      `function ${token} is not implemented by the test environment's stand-in Kubernetes provider ` +
        `(testenv/kubernetes-provider implements kubernetes:yaml:decode only)`,
    );
  }
}
