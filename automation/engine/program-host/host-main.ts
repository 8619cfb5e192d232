/**
 * A program host: a long-lived process that runs the run stacks' Pulumi program when the CLI asks,
 * the way the Automation API runs an inline program, so that no run pays for a language host, a
 * Node.js start and the loading of the SDKs and components. It serves Pulumi's language runtime
 * protocol on 127.0.0.1, tells its parent the port over IPC, and runs one update at a time (the
 * SDK's runtime state is process-wide: pulumi/pulumi#5449); `program-host-pool.ts` leases it out.
 */
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type { HostMessage } from "./host-messages";

// What Stack.up uses to serve an inline program, internal to the SDK (stable since 3.x), loaded from
// the SDK's own folder: its service definitions only work with its own gRPC module instance.
const sdk = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = sdk("@grpc/grpc-js") as typeof grpcTypes;
const { LanguageServer } = sdk("./automation/server") as {
  LanguageServer: new (program: () => Promise<unknown>) => grpcTypes.UntypedServiceImplementation;
};
const { LanguageRuntimeService } = sdk("./proto/language_grpc_pb") as {
  LanguageRuntimeService: grpcTypes.ServiceDefinition;
};
const { grpcChannelOptions } = sdk("./runtime/settings") as { grpcChannelOptions: grpcTypes.ChannelOptions };

const loadProgram = Promise.all([import("../../../stacks/run"), import("../../../stacks/run-config")]);

/** The run stack's program, as `stacks/index.ts` runs it for `reporunner:stack: run`. */
async function runProgram() {
  const [{ run }, { readRunConfig }] = await loadProgram;
  return run(readRunConfig());
}

async function main() {
  // Loaded before the host says it is ready: the first run finds the modules warm.
  await loadProgram;
  const server = new grpc.Server(grpcChannelOptions);
  server.addService(LanguageRuntimeService, new LanguageServer(runProgram));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  send({ type: "ready", address: `127.0.0.1:${port}` });
  // The parent gone (crashed or killed) leaves no orphan behind.
  process.on("disconnect", () => process.exit(0));
}

function send(message: HostMessage) {
  process.send?.(message);
}

main().catch((error: unknown) => {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
