/**
 * The spans of a run, through the OpenTelemetry API only. With no SDK registered (tracing off, the
 * default) every call here is the API's no-op: no ids, no clock, no allocation worth counting, and
 * `traceparentOf` gives nothing to store. `tracing.ts` registers the SDK when an endpoint is set.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type TimeInput,
  trace,
  TraceFlags,
} from "@opentelemetry/api";

/** The instrumentation scope of every span RepoRunner makes. */
export const TRACER_NAME = "reporunner";

/** The attribute that names the run on its spans: search Jaeger with `reporunner.run.id=<id>`. */
export const RUN_ID_ATTRIBUTE = "reporunner.run.id";

export const tracer = () => trace.getTracer(TRACER_NAME);

/**
 * Marks a span failed with the error's message, or `message` when the error's own may quote what a
 * run printed (the Pulumi CLI's errors do). Never a stack trace.
 */
export function failSpan(span: Span, error: unknown, message = describe(error)): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 500) });
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
  options: { parent?: Context; links?: Link[]; startTime?: TimeInput } = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { attributes, links: options.links, startTime: options.startTime },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        failSpan(span, error);
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
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext()) || !span.isRecording()) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`;
}

/** The context whose parent is a stored `traceparent`; the root context when there is none. */
export function contextOf(traceparent: string | null | undefined): Context {
  const match = TRACEPARENT.exec(traceparent ?? "");
  if (!match) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = match;
  const spanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.isSpanContextValid(spanContext)
    ? trace.setSpanContext(ROOT_CONTEXT, spanContext)
    : ROOT_CONTEXT;
}

/** A link to a stored `traceparent` (a destroy's trace points to its run's). */
export function linkTo(traceparent: string | null | undefined): Link[] {
  const parent = trace.getSpanContext(contextOf(traceparent));
  return parent ? [{ context: parent }] : [];
}

/** The trace id in a stored `traceparent`. */
export function traceIdOf(traceparent: string | null | undefined): string | undefined {
  return TRACEPARENT.exec(traceparent ?? "")?.[1];
}

/** `trace_id` and `span_id` of the active span, for a log line (pino's mixin); none outside a span. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return trace.isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}

export { context, ROOT_CONTEXT, trace };
export type { Attributes, Context, Span };
