/**
 * pulumi-resource-kubernetes: the test environment's stand-in for the Pulumi Kubernetes provider (see README.md).
 *
 * The engine starts it as `pulumi-resource-kubernetes [flags] ENGINE_ADDRESS`; it serves the ResourceProvider
 * gRPC service on 127.0.0.1 and prints the port on stdout. The service is written here with @grpc/grpc-js and
 * the generated protobuf code that @pulumi/pulumi ships, because @pulumi/pulumi/provider's server does not pass
 * provider configuration (Configure), old inputs or timeouts through to a provider.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineProto from "@pulumi/pulumi/proto/engine_pb";
import * as pluginProto from "@pulumi/pulumi/proto/plugin_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerProto from "@pulumi/pulumi/proto/provider_pb";
import * as statusProto from "@pulumi/pulumi/proto/status_pb";
import {
  InitError,
  KubernetesProvider,
  PROVIDER_VERSION,
  type DiffKind,
  type DiffResult,
  type Severity,
} from "./provider";
import { toJson, type JsonObject } from "./values";

const args = process.argv.slice(2);
let engineAddress = args.filter((a) => !a.startsWith("-")).pop() ?? "";

function stderr(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// The engine's log: progress and warnings show next to the resource.

let engineClient: engineRpc.EngineClient | undefined;
const SEVERITY: Record<Severity, engineProto.LogSeverity> = {
  debug: engineProto.LogSeverity.DEBUG,
  info: engineProto.LogSeverity.INFO,
  warning: engineProto.LogSeverity.WARNING,
  error: engineProto.LogSeverity.ERROR,
};

const engineLog = {
  log(severity: Severity, urn: string, message: string, ephemeral = false): void {
    if (!engineAddress) {
      stderr(`[${severity}] ${urn}: ${message}`);
      return;
    }
    engineClient ??= new engineRpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    const req = new engineProto.LogRequest();
    req.setSeverity(SEVERITY[severity]);
    req.setMessage(message);
    req.setUrn(urn);
    req.setEphemeral(ephemeral);
    engineClient.log(req, (error) => {
      if (error) stderr(`could not log to the engine: ${error.message}; message was: ${message}`);
    });
  },
};

const provider = new KubernetesProvider(engineLog);

// A stray rejection must not take the plugin down in the middle of a deployment: log it instead.
process.on("unhandledRejection", (reason) =>
  stderr(`unhandled rejection: ${(reason as Error)?.stack ?? reason}`),
);

// ---------------------------------------------------------------------------------------------------------------
// Plumbing: Structs in and out, errors out.

function fromStruct(struct: Struct | undefined): JsonObject {
  return struct ? (struct.toJavaScript() as JsonObject) : {};
}

function toStruct(value: unknown): Struct {
  return Struct.fromJavaScript(toJson(value) as Record<string, never>);
}

function grpcError(error: unknown): Partial<grpc.StatusObject> {
  const message = error instanceof Error ? error.message : String(error);
  const metadata = new grpc.Metadata();
  if (error instanceof InitError) {
    const detail = new providerProto.ErrorResourceInitFailed();
    detail.setId(error.id);
    detail.setProperties(toStruct(error.properties));
    detail.setInputs(toStruct(error.inputs));
    detail.setReasonsList([message]);
    const any = new Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusProto.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(any);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}

/** Turns an async handler into a grpc-js unary handler. */
function unary<Req, Res>(
  name: string,
  handler: (req: Req) => Promise<Res> | Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (res) => callback(null, res),
        (error: unknown) => {
          if (!(error instanceof InitError)) stderr(`${name}: ${(error as Error)?.stack ?? String(error)}`);
          callback(grpcError(error), null);
        },
      );
  };
}

function unimplemented<Req, Res>(name: string): grpc.handleUnaryCall<Req, Res> {
  return (_call, callback) =>
    callback(
      { code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by this provider` },
      null,
    );
}

const DIFF_KIND: Record<DiffKind, providerProto.PropertyDiff.Kind> = {
  add: providerProto.PropertyDiff.Kind.ADD,
  "add-replace": providerProto.PropertyDiff.Kind.ADD_REPLACE,
  delete: providerProto.PropertyDiff.Kind.DELETE,
  "delete-replace": providerProto.PropertyDiff.Kind.DELETE_REPLACE,
  update: providerProto.PropertyDiff.Kind.UPDATE,
  "update-replace": providerProto.PropertyDiff.Kind.UPDATE_REPLACE,
};

function diffResponse(result: DiffResult): providerProto.DiffResponse {
  const res = new providerProto.DiffResponse();
  res.setChanges(
    result.changes
      ? providerProto.DiffResponse.DiffChanges.DIFF_SOME
      : providerProto.DiffResponse.DiffChanges.DIFF_NONE,
  );
  res.setReplacesList(result.replaces);
  res.setDiffsList(result.diffs);
  res.setDeletebeforereplace(result.deleteBeforeReplace);
  res.setHasdetaileddiff(true);
  const detailed = res.getDetaileddiffMap();
  for (const [path, kind] of Object.entries(result.detailedDiff)) {
    const diff = new providerProto.PropertyDiff();
    diff.setKind(DIFF_KIND[kind]);
    diff.setInputdiff(true);
    detailed.set(path, diff);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------------------
// The service.

const service: providerRpc.IResourceProviderServer = {
  handshake: unary("Handshake", (req: providerProto.ProviderHandshakeRequest) => {
    if (req.getEngineAddress()) engineAddress = req.getEngineAddress();
    const res = new providerProto.ProviderHandshakeResponse();
    res.setAcceptSecrets(true);
    res.setAcceptResources(false);
    res.setAcceptOutputs(false);
    res.setSupportsAutonamingConfiguration(false);
    return res;
  }),
  getPluginInfo: unary("GetPluginInfo", () => new pluginProto.PluginInfo().setVersion(PROVIDER_VERSION)),
  getSchema: unary("GetSchema", () =>
    new providerProto.GetSchemaResponse().setSchema(
      JSON.stringify({ name: "kubernetes", version: PROVIDER_VERSION, resources: {}, functions: {} }),
    ),
  ),
  attach: unary("Attach", (req: pluginProto.PluginAttach) => {
    engineAddress = req.getAddress();
    engineClient = undefined;
    return new Empty();
  }),
  cancel: unary("Cancel", () => {
    provider.cancel();
    return new Empty();
  }),
  checkConfig: unary("CheckConfig", (req: providerProto.CheckRequest) =>
    new providerProto.CheckResponse().setInputs(req.getNews()),
  ),
  diffConfig: unary("DiffConfig", (req: providerProto.DiffRequest) =>
    diffResponse(
      provider.diffConfig(fromStruct(req.getOldInputs() ?? req.getOlds()), fromStruct(req.getNews())),
    ),
  ),
  configure: unary("Configure", (req: providerProto.ConfigureRequest) => {
    const variables: Record<string, string> = {};
    req.getVariablesMap().forEach((value, key) => (variables[key] = value));
    provider.configure(variables, req.getArgs() ? fromStruct(req.getArgs()) : undefined);
    const res = new providerProto.ConfigureResponse();
    res.setAcceptsecrets(true);
    res.setSupportspreview(true);
    res.setAcceptresources(false);
    res.setAcceptoutputs(false);
    return res;
  }),
  check: unary("Check", async (req: providerProto.CheckRequest) => {
    const result = await provider.check(
      req.getUrn(),
      req.getType(),
      fromStruct(req.getOlds()),
      fromStruct(req.getNews()),
      req.getRandomseed_asU8(),
    );
    const res = new providerProto.CheckResponse().setInputs(toStruct(result.inputs));
    res.setFailuresList(
      result.failures.map((f) =>
        new providerProto.CheckFailure().setProperty(f.property).setReason(f.reason),
      ),
    );
    return res;
  }),
  diff: unary("Diff", async (req: providerProto.DiffRequest) =>
    diffResponse(
      await provider.diff(
        req.getUrn(),
        req.getType(),
        fromStruct(req.getOlds()),
        fromStruct(req.getNews()),
        fromStruct(req.getOldInputs()),
      ),
    ),
  ),
  create: unary("Create", async (req: providerProto.CreateRequest) => {
    const result = await provider.create(
      req.getUrn(),
      req.getType(),
      fromStruct(req.getProperties()),
      req.getTimeout(),
      req.getPreview(),
    );
    return new providerProto.CreateResponse().setId(result.id).setProperties(toStruct(result.properties));
  }),
  read: unary("Read", async (req: providerProto.ReadRequest) => {
    const result = await provider.read(
      req.getUrn(),
      req.getType(),
      req.getId(),
      fromStruct(req.getProperties()),
      fromStruct(req.getInputs()),
    );
    const res = new providerProto.ReadResponse().setId(result.id);
    if (result.id) res.setProperties(toStruct(result.properties)).setInputs(toStruct(result.inputs));
    return res;
  }),
  update: unary("Update", async (req: providerProto.UpdateRequest) => {
    const result = await provider.update(
      req.getUrn(),
      req.getType(),
      req.getId(),
      fromStruct(req.getOlds()),
      fromStruct(req.getNews()),
      req.getTimeout(),
      req.getPreview(),
    );
    return new providerProto.UpdateResponse().setProperties(toStruct(result.properties));
  }),
  delete: unary("Delete", async (req: providerProto.DeleteRequest) => {
    await provider.delete(
      req.getUrn(),
      req.getType(),
      req.getId(),
      fromStruct(req.getProperties()),
      req.getTimeout(),
    );
    return new Empty();
  }),
  invoke: unary("Invoke", async (req: providerProto.InvokeRequest) => {
    const result = await provider.invoke(req.getTok(), fromStruct(req.getArgs()));
    return new providerProto.InvokeResponse().setReturn(toStruct(result));
  }),
  getMapping: unary("GetMapping", () => new providerProto.GetMappingResponse()),
  getMappings: unary("GetMappings", () => new providerProto.GetMappingsResponse()),
  parameterize: unimplemented("Parameterize"),
  call: unimplemented("Call"),
  construct: unimplemented("Construct"),
  list: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "List is not implemented" }),
};

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(providerRpc.ResourceProviderService, service);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    stderr(`pulumi-resource-kubernetes: cannot listen: ${error.message}`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
