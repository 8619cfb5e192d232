import { programHostArguments, withArguments } from "./pulumi-command";
import {
  type DestroyOptions,
  type EngineEvent,
  type LocalWorkspace,
  type OutputMap,
  Stack,
  StackAlreadyExistsError,
  StackNotFoundError,
  type UpOptions,
} from "@pulumi/pulumi/automation";

/**
 * A run's stack with no more Pulumi CLI start-ups than the run needs (each costs 0.2–0.3 s). The SDK's
 * Stack selects before it creates, and after `up` and `destroy` reads back the outputs (two `pulumi
 * stack output` calls) and a summary (`pulumi stack history`). A run never reads the summary, and its
 * outputs are in the engine's own events already: the root stack resource's outputs event.
 */

/** Creates the stack, or selects it when it exists already (a retried run): one CLI call for a new run. */
export async function createOrSelectStack(workspace: LocalWorkspace, name: string): Promise<Stack> {
  try {
    return await Stack.create(name, workspace);
  } catch (error) {
    if (!(error instanceof StackAlreadyExistsError)) throw error;
    return Stack.select(name, workspace);
  }
}

/** Selects the stack, or undefined when there is none. */
export async function selectStackIfAny(workspace: LocalWorkspace, name: string): Promise<Stack | undefined> {
  try {
    return await Stack.select(name, workspace);
  } catch (error) {
    if (error instanceof StackNotFoundError) return undefined;
    throw error;
  }
}

/**
 * `stack.up`, its outputs taken from the engine's events; read back only when the events hide one (a
 * secret). With `programHost` (an address), the program runs there instead of in a new language host.
 */
export async function upWithEventOutputs(
  stack: Stack,
  options: UpOptions,
  programHost?: string,
): Promise<OutputMap> {
  let fromEvents: Record<string, unknown> | undefined;
  const onEvent = (event: EngineEvent) => {
    const step = event.resOutputsEvent?.metadata;
    if (step?.type === "pulumi:pulumi:Stack") fromEvents = step.new?.outputs ?? {};
    options.onEvent?.(event);
  };
  const lean = leanView(
    stack,
    async () => (fromEvents && !hidesSecret(fromEvents) ? asOutputMap(fromEvents) : stack.outputs()),
    programHost,
  );
  const result = await lean.up({ ...options, onEvent });
  return result.outputs;
}

/**
 * `stack.up` reading nothing back after it (no outputs, no summary): for an inline program, which
 * hands its outputs over in this process.
 */
export async function upReadingNothing(stack: Stack, options: UpOptions): Promise<void> {
  await leanView(stack, async () => ({})).up(options);
}

/**
 * `stack.destroy` without the summary read back after it; the stack is removed with its resources
 * (`--remove`: no `stack rm` after). With `programHost`, the CLI asks that host for the program's
 * plugins instead of starting a language host: destroy does not run the program, so the host may be
 * busy with another run's update meanwhile.
 */
export async function destroyAndRemove(
  stack: Stack,
  options: DestroyOptions,
  programHost?: string,
): Promise<void> {
  const lean = leanView(
    stack,
    () => stack.outputs(),
    programHost,
    (args) => (args[0] === "destroy" ? [...args, "--remove"] : args),
  );
  await lean.destroy(options);
}

/**
 * The stack, with `info()` (the summary's `stack history` call) answering nothing and `outputs()`
 * replaced; with `programHost`, its workspace's CLI connects `up` and `destroy` to that program host.
 */
function leanView(
  stack: Stack,
  outputs: () => Promise<OutputMap>,
  programHost?: string,
  edit?: (args: string[]) => string[],
): Stack {
  const overrides: PropertyDescriptorMap = {
    info: { value: async () => undefined },
    outputs: { value: outputs },
  };
  if (programHost || edit) {
    const { workspace } = stack;
    const command = withArguments(workspace.pulumiCommand, (args) => {
      const viaHost = programHost ? programHostArguments(args, programHost) : args;
      return edit ? edit(viaHost) : viaHost;
    });
    overrides.workspace = { value: Object.create(workspace, { pulumiCommand: { value: command } }) };
  }
  return Object.create(stack, overrides) as Stack;
}

/** The engine's events show a secret as this text, unless the CLI was asked to show secrets. */
const SECRET_MARKER = "[secret]";

function hidesSecret(value: unknown): boolean {
  if (value === SECRET_MARKER) return true;
  if (Array.isArray(value)) return value.some(hidesSecret);
  if (value && typeof value === "object") return Object.values(value).some(hidesSecret);
  return false;
}

function asOutputMap(outputs: Record<string, unknown>): OutputMap {
  return Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { value, secret: false }]));
}
