/**
 * The spans inside `pulumi up`, made from the engine's own events: the program and the providers run
 * in the CLI's processes, where no span of ours can start, but each resource's step is announced
 * (`resourcePreEvent`) and settled (`resOutputsEvent`, `resOpFailedEvent`) as it happens. A span
 * covers one step: each image's build-and-load Command (split in two where its script says it starts
 * loading) and each workload, whose step lasts until the provider sees it rolled out. The
 * translation runs inside the program; the program reports when it ran (`translateTiming` output)
 * and the span is made with those times.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { IMAGE_BUILD_SKIPPED, IMAGE_LOAD_MARKER } from "../../components/run/image-commands";
import { TRANSLATE_TIMING_OUTPUT, type TranslateTiming } from "../../components/run/translate-timing";
import {
  activeContext,
  contextWith,
  failSpan,
  inSpan,
  type Parent,
  type Span,
  startSpan,
} from "../tracing/spans";

type OnEvent = (event: EngineEvent) => void;

/**
 * Runs an update (`run` gets the `onEvent` to pass to `up` or `destroy`) in a span named `name`, with
 * a span per image and workload step under it, and the resource counts as attributes. A failed update
 * fails the span with the error's class only: the CLI's message quotes the run's output.
 */
export function tracedUpdate<T>(
  name: string,
  onEvent: OnEvent,
  run: (onEvent: OnEvent) => Promise<T>,
): Promise<T> {
  const failure = (error: unknown) => `the update failed (${error instanceof Error ? error.name : "error"})`;
  return inSpan(
    name,
    {},
    async (span) => {
      // Tracing off: the events go straight through, nothing is counted or kept.
      if (!span.isRecording()) return run(onEvent);
      const steps = updateSpans();
      try {
        return await run((event) => {
          onEvent(event);
          steps.onEvent(event);
        });
      } catch (error) {
        steps.end(new Error(failure(error)));
        throw error;
      } finally {
        steps.end();
        span.setAttributes({
          "pulumi.resource_count": steps.resourceCount,
          "pulumi.resources_changed": steps.changedCount,
        });
      }
    },
    { describeError: failure },
  );
}

/** The workloads whose step waits for their rollout (Pulumi's await logic). */
const WORKLOADS = new Set([
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:batch/v1:Job",
]);
const IMAGE_COMMAND = "command:local:Command";
/** `run-<id>-image-<service>`: an image built from the repository, then loaded (`image-builds.ts`). */
const BUILT_IMAGE = /^run-[a-z0-9]+-image-(.+)$/;
/** `run-<id>-local-image-<reference>`: an image the pods pull, loaded from the local engine when it has it. */
const PULLED_IMAGE = /^run-[a-z0-9]+-local-image-(.+)$/;
/** Steps that do nothing to the resource: no span. */
const IDLE_OPS = new Set(["same", "read", "refresh", "discard"]);

export interface UpdateSpans {
  /** Feed every engine event of the update here. */
  onEvent(event: EngineEvent): void;
  /** Resources the stack holds after the update (every step but deletes), counted from the events. */
  readonly resourceCount: number;
  /** Resources the update created, updated, replaced or deleted. */
  readonly changedCount: number;
  /** Ends what is still open (the update stopped or failed), marked failed with `error`. */
  end(error?: Error): void;
}

/** The last part of a URN: the resource's name. */
function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** `Deployment/web` from `run-<id>-deployment-web`; the URN's name when it does not follow that shape. */
function workloadName(type: string, urn: string): { kind: string; name: string } {
  const kind = type.slice(type.lastIndexOf(":") + 1);
  const name = resourceName(urn);
  const infix = `-${kind.toLowerCase()}-`;
  const at = name.indexOf(infix);
  return { kind, name: at >= 0 ? name.slice(at + infix.length) : name };
}

/**
 * Starts the spans of one update under `parent` (default: the active context, the `pulumi up` span).
 * `now` is the clock, for tests.
 */
export function updateSpans(parent: Parent = activeContext(), now: () => number = Date.now): UpdateSpans {
  /** The spans of each step in progress, parent first. */
  const open = new Map<string, Span[]>();
  const images = new Map<string, { service: string; image: Span; build: Span }>();
  const done = new Set<string>();
  let changed = 0;
  const start = (
    name: string,
    attributes: Record<string, string | number | boolean>,
    under = parent,
    startTime = now(),
  ) => startSpan(name, { attributes, startTime }, under);
  const finish = (urn: string, error?: Error) => {
    const spans = open.get(urn);
    if (!spans) return;
    open.delete(urn);
    const at = now();
    // Children first: a parent ends after what it holds.
    for (const span of [...spans].reverse()) {
      if (error) failSpan(span, error);
      span.end(at);
    }
  };

  const onPre = (urn: string, type: string, op: string) => {
    if (IDLE_OPS.has(op) || op === "delete") return;
    if (type === IMAGE_COMMAND) {
      const name = resourceName(urn);
      const pulled = PULLED_IMAGE.exec(name)?.[1];
      if (pulled) {
        open.set(urn, [start("image load", { "reporunner.image": pulled, "pulumi.op": op })]);
        return;
      }
      const service = BUILT_IMAGE.exec(name)?.[1];
      if (!service) return;
      const image = start("image", { "reporunner.service": service, "pulumi.op": op });
      const build = start("image build", { "reporunner.service": service }, contextWith(parent, image));
      images.set(urn, { service, image, build });
      open.set(urn, [image, build]);
    } else if (WORKLOADS.has(type)) {
      const { kind, name } = workloadName(type, urn);
      open.set(urn, [
        start("rollout", {
          "reporunner.workload": `${kind}/${name}`,
          "k8s.workload.kind": kind,
          "k8s.workload.name": name,
          "pulumi.op": op,
        }),
      ]);
    }
  };

  const onDiagnostic = (urn: string, message: string) => {
    const step = images.get(urn);
    const spans = open.get(urn);
    if (!step || !spans || spans[1] !== step.build) return;
    if (message.includes(IMAGE_BUILD_SKIPPED)) step.build.setAttribute("reporunner.image.cached", true);
    if (message.includes(IMAGE_LOAD_MARKER)) {
      // The load starts where the build ends: one instant for both.
      const at = now();
      step.build.end(at);
      const load = start(
        "image load",
        { "reporunner.service": step.service },
        contextWith(parent, step.image),
        at,
      );
      open.set(urn, [step.image, load]);
    }
  };

  const onStackOutputs = (outputs: Record<string, unknown> | undefined) => {
    const timing = outputs?.[TRANSLATE_TIMING_OUTPUT] as TranslateTiming | undefined;
    if (typeof timing?.startMs !== "number" || typeof timing.endMs !== "number") return;
    startSpan("translate", { startTime: timing.startMs }, parent).end(timing.endMs);
  };

  return {
    onEvent(event) {
      const pre = event.resourcePreEvent?.metadata;
      if (pre) return onPre(pre.urn, pre.type, pre.op);
      const diagnostic = event.diagnosticEvent;
      if (diagnostic?.urn) return onDiagnostic(diagnostic.urn, diagnostic.message);
      const outputs = event.resOutputsEvent?.metadata;
      if (outputs) {
        if (outputs.op !== "delete") done.add(outputs.urn);
        if (!IDLE_OPS.has(outputs.op)) changed++;
        if (outputs.type === "pulumi:pulumi:Stack") onStackOutputs(outputs.new?.outputs);
        return finish(outputs.urn);
      }
      const failed = event.resOpFailedEvent?.metadata;
      if (failed) finish(failed.urn, new Error(`${failed.op} of ${resourceName(failed.urn)} failed`));
    },
    get resourceCount() {
      return done.size;
    },
    get changedCount() {
      return changed;
    },
    end(error) {
      for (const urn of [...open.keys()]) finish(urn, error ?? new Error("the update stopped"));
    },
  };
}
