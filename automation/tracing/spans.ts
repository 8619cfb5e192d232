/**
 * The spans of a run. Everything that traces goes through here, never to `@opentelemetry/api`
 * directly: while tracing is off (the default) not even the API is loaded; every span is one shared
 * no-op object, no id is made, no clock read, and `traceparentOf` gives nothing to store.
 * `tracing.ts` hands the API over once it has registered the SDK (`useApi`).
 */
import type * as Api from "@opentelemetry/api";

export type Attributes = Api.Attributes;
export type Context = Api.Context;
export type Span = Api.Span;

/** The instrumentation scope of every span RepoRunner makes. */
export const TRACER_NAME = "reporunner";

/** The attribute that names the run on its spans: search Jaeger with `reporunner.run.id=<id>`. */
export const RUN_ID_ATTRIBUTE = "reporunner.run.id";

let api: typeof Api | undefined;

/** Tracing on (`api`, with an SDK registered) or off (undefined). Called by `tracing.ts` only. */
export function useApi(loaded: typeof Api | undefined): void {
  api = loaded;
}

const NO_CONTEXT: Api.SpanContext = {
  traceId: "00000000000000000000000000000000",
  spanId: "0000000000000000",
  traceFlags: 0,
};

/** The span of tracing off: does nothing, records nothing. */
const NOOP_SPAN: Span = {
  spanContext: () => NO_CONTEXT,
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
};

/** Where a span starts: under `parent`, at the root of a new trace ("root"), or under the active span. */
export type Parent = Context | "root" | undefined;

function parentContext(tracing: typeof Api, parent: Parent): Context {
  if (parent === "root") return tracing.ROOT_CONTEXT;
  return parent ?? tracing.context.active();
}

export interface SpanOptions {
  readonly attributes?: Attributes;
  readonly startTime?: Api.TimeInput;
  readonly links?: Api.Link[];
}

/** Starts a span (not made active): end it yourself. */
export function startSpan(name: string, options: SpanOptions = {}, parent?: Parent): Span {
  if (!api) return NOOP_SPAN;
  return api.trace.getTracer(TRACER_NAME).startSpan(name, options, parentContext(api, parent));
}

/** `parent` with `span` as its active span: the parent of spans started under it. */
export function contextWith(parent: Parent, span: Span): Context | undefined {
  return api ? api.trace.setSpan(parentContext(api, parent), span) : undefined;
}

/** The context now: inside `inSpan`, the context whose active span is that span. */
export function activeContext(): Context | undefined {
  return api?.context.active();
}

/** The active span (the innermost `inSpan`), if tracing is on and there is one. */
export function activeSpan(): Span | undefined {
  return api?.trace.getActiveSpan();
}

/**
 * Marks a span failed with the error's message, or `message` when the error's own may quote what a
 * run printed (the Pulumi CLI's errors do). Never a stack trace.
 */
export function failSpan(span: Span, error: unknown, message = describe(error)): void {
  if (!api || !span.isRecording()) return;
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: message.slice(0, 500) });
  span.addEvent("exception", {
    "exception.type": error instanceof Error ? error.name : typeof error,
    "exception.message": message.slice(0, 2000),
  });
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs `fn` in a new span, active for everything `fn` starts (child spans, log lines); the span
 * ends when `fn` settles, failed when it throws.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: {
    parent?: Parent;
    links?: Api.Link[];
    startTime?: Api.TimeInput;
    /** The failure's words on the span, when the error's own message may quote a run's output. */
    describeError?: (error: unknown) => string;
  } = {},
): Promise<T> {
  if (!api) return fn(NOOP_SPAN);
  const parent = parentContext(api, options.parent);
  return api.trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(
      name,
      { attributes, links: options.links, startTime: options.startTime },
      parent,
      async (span) => {
        try {
          return await fn(span);
        } catch (error) {
          failSpan(span, error, options.describeError?.(error));
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

/** `inSpan` with no attributes. */
export function traced<T>(name: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(name, {}, fn);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` of a span; undefined when the span records nothing (tracing off). */
export function traceparentOf(span: Span): string | undefined {
  if (!api || !span.isRecording()) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!api.trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`;
}

/** The context whose parent is a stored `traceparent`; undefined when there is none (or tracing is off). */
export function contextOf(traceparent: string | null | undefined): Context | undefined {
  const match = TRACEPARENT.exec(traceparent ?? "");
  if (!api || !match) return undefined;
  const [, traceId, spanId, flags] = match;
  const spanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & api.TraceFlags.SAMPLED,
    isRemote: true,
  };
  return api.trace.isSpanContextValid(spanContext)
    ? api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext)
    : undefined;
}

/** A link to a stored `traceparent` (a destroy's trace points to its run's). */
export function linkTo(traceparent: string | null | undefined): Api.Link[] {
  const parent = contextOf(traceparent);
  const spanContext = parent && api?.trace.getSpanContext(parent);
  return spanContext ? [{ context: spanContext }] : [];
}

/** The trace id in a stored `traceparent`. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return TRACEPARENT.exec(traceparent ?? "")?.[1];
}

/** `trace_id` and `span_id` of the active span, for a log line (pino's mixin); none outside a span. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const span = activeSpan();
  if (!span || !api?.trace.isSpanContextValid(span.spanContext())) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
