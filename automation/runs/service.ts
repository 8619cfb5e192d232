/**
 * The run lifecycle as users drive it: create, list, read, delete, cancel, redeploy, extend. It never
 * sees a request or a response; it takes an owner and validated input and returns records or throws
 * AppErrors. Everything a worker does lives in `workers/`.
 */
import type { Logger } from "pino";
import { AppError } from "../api/errors";
import type { CreateRunInput, ExtendRunInput, ListRunsQuery } from "../api/schemas";
import type { EventLog } from "../bus/event-log";
import type { JobQueue } from "../bus/job-queue";
import { inSpan, linkTo, RUN_ID_ATTRIBUTE, traceparentOf } from "../tracing/spans";
import { newRunId } from "./ids";
import type { JobAction, RunRecord } from "./run";
import { EXTENDABLE, type RunState } from "./states";
import type { IdempotencyMark, RunStore, StoredRun, TransitionResult } from "./store";
import { checkRepoUrl, type Resolver, type UrlPolicyOptions } from "./url-policy";

/** What the service needs. */
export interface RunServiceDeps {
  readonly store: RunStore;
  readonly queue: JobQueue;
  readonly events: EventLog;
  /** Round trip to Redis, so that a write is refused before anything is stored when Redis is down. */
  readonly queueReady: () => Promise<void>;
  readonly logger: Logger;
  readonly urlPolicy: UrlPolicyOptions;
  readonly resolver?: Resolver;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly now?: () => Date;
}

/** The outcome of a create: the run, and whether an earlier request with the same key made it. */
export interface Created {
  readonly run: StoredRun;
  readonly replayed: boolean;
}

const DEPLOYING: readonly RunState[] = ["CLONING", "BUILDING", "DEPLOYING"];

function notFound(): AppError {
  return new AppError("run_not_found", "no such run", 404, "id");
}

function conflict(code: string, message: string): AppError {
  return new AppError(code, message, 409, "status");
}

/** The run service. */
export class RunService {
  private readonly now: () => Date;

  constructor(private readonly deps: RunServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Stores a QUEUED run and puts its deploy job on the queue; honours an Idempotency-Key. */
  async create(owner: string, input: CreateRunInput, idempotencyKey?: string): Promise<Created> {
    const { store } = this.deps;
    const ttl = input.ttl ?? this.deps.defaultTtlSeconds;
    if (ttl > this.deps.maxTtlSeconds) {
      throw new AppError(
        "ttl_too_long",
        `ttl must be at most ${this.deps.maxTtlSeconds} seconds`,
        422,
        "ttl",
      );
    }
    const repoUrl = await checkRepoUrl(input.repoUrl, this.deps.urlPolicy, this.deps.resolver);
    await this.deps.queueReady();

    const id = newRunId();
    // The key goes on the run itself: the insert that stores the run also claims the key.
    const idempotency =
      idempotencyKey === undefined
        ? undefined
        : {
            key: store.idempotencyKeyDigest(owner, idempotencyKey),
            requestHash: store.requestDigest(canonicalRequest(input)),
          };

    // The run's trace starts here; its traceparent goes on the record, for the worker that takes the job.
    return inSpan(
      "run",
      { [RUN_ID_ATTRIBUTE]: id, "reporunner.run.mode": input.mode, "reporunner.run.ref": input.ref ?? "" },
      (span) =>
        this.insertQueued(owner, id, input, {
          repoUrl,
          ttl,
          idempotency,
          traceparent: traceparentOf(span),
        }),
      { parent: "root" },
    );
  }

  /**
   * Inserts the QUEUED record and queues its deploy job; undoes the insert when the job cannot be
   * queued. A key an earlier run holds answers with that run, if the request is the same.
   */
  private async insertQueued(
    owner: string,
    id: string,
    input: CreateRunInput,
    {
      repoUrl,
      ttl,
      idempotency,
      traceparent,
    }: { repoUrl: string; ttl: number; idempotency?: IdempotencyMark; traceparent?: string },
  ): Promise<Created> {
    const { store } = this.deps;
    const at = this.now();
    const record: RunRecord = {
      _id: id,
      owner,
      repoUrl,
      ref: input.ref ?? null,
      mode: input.mode,
      ...(input.previewPort !== undefined ? { previewPort: input.previewPort } : {}),
      // Sealed here, before anything is written: the values never reach MongoDB in plain text.
      env: store.sealEnv(id, input.env),
      ttlSeconds: ttl,
      status: "QUEUED",
      reason: null,
      commitSha: null,
      namespace: null,
      previewUrls: {},
      previewTargets: {},
      localUrls: {},
      images: {},
      warnings: [],
      phases: {},
      history: [{ from: null, to: "QUEUED", at }],
      holder: null,
      attempt: 0,
      cancelRequested: false,
      destroyRequested: false,
      expiring: false,
      enqueuedAt: null,
      ...(traceparent ? { traceparent } : {}),
      createdAt: at,
      updatedAt: at,
      expiresAt: new Date(at.getTime() + ttl * 1000),
    };
    const created = idempotency
      ? await store.insertWithKey(record, idempotency)
      : { inserted: await store.insert(record) };
    if ("earlier" in created) return replay(created.earlier, idempotency?.requestHash);
    const run = created.inserted;
    // QUEUED goes on the event stream before the job can reach a worker, whose CLONING must come after it.
    await this.emitState(run);
    try {
      return { run: await this.enqueue(run, "deploy"), replayed: false };
    } catch (err) {
      // Not queued means not created: undo (the key goes with the run), so that the client's retry
      // starts from nothing.
      await store.removeUnqueued(id).catch(() => undefined);
      throw err;
    }
  }

  /** A page of the owner's runs. */
  async list(owner: string, query: ListRunsQuery) {
    const page = await this.deps.store.list(owner, query);
    if ("badCursor" in page)
      throw new AppError("invalid_cursor", "cursor is not one this API wrote", 400, "cursor");
    return page;
  }

  /** One of the owner's runs; another owner's run is "not found", never "forbidden". */
  async get(owner: string, id: string): Promise<StoredRun> {
    const run = await this.deps.store.getOwned(owner, id);
    if (!run) throw notFound();
    return run;
  }

  /**
   * Destroys a run's stack. A settled or queued run goes to DESTROYING with a destroy job; a run being
   * deployed is asked to stop, and its worker destroys it (only the job's holder writes its stack).
   */
  async destroy(owner: string, id: string): Promise<StoredRun> {
    await this.deps.queueReady();
    for (let tries = 0; tries < 5; tries++) {
      const run = await this.get(owner, id);
      if (run.status === "DESTROYING" || run.status === "DESTROYED" || run.status === "EXPIRED") return run;
      if (DEPLOYING.includes(run.status)) {
        const asked = await this.deps.store.patch(
          id,
          { destroyRequested: true, cancelRequested: true },
          { inStates: DEPLOYING },
        );
        if (asked) return asked;
        continue;
      }
      const moved = await this.deps.store.transition(id, "DESTROYING", {
        holder: null,
        reason: "deleted by the owner",
        set: { enqueuedAt: null, cancelRequested: false },
      });
      if (moved.ok) return this.afterTransition(moved, "destroy");
    }
    throw conflict("run_busy", "the run changed state repeatedly; retry");
  }

  /** Cancels a queued run at once, or asks the worker deploying it to stop. */
  async cancel(owner: string, id: string): Promise<StoredRun> {
    for (let tries = 0; tries < 5; tries++) {
      const run = await this.get(owner, id);
      if (run.status === "CANCELLED") return run;
      if (run.status === "QUEUED") {
        const moved = await this.deps.store.transition(id, "CANCELLED", {
          from: ["QUEUED"],
          holder: null,
          reason: "cancelled by the owner",
        });
        if (moved.ok) {
          await this.emitState(moved.run);
          return moved.run;
        }
        continue;
      }
      if (DEPLOYING.includes(run.status)) {
        const asked = await this.deps.store.patch(id, { cancelRequested: true }, { inStates: DEPLOYING });
        if (asked) return asked;
        continue;
      }
      throw conflict("not_cancellable", `a run in state ${run.status} has no update to cancel`);
    }
    throw conflict("run_busy", "the run changed state repeatedly; retry");
  }

  /** Deploys the run's ref again (its newest commit), from READY, FAILED or CANCELLED. */
  async redeploy(owner: string, id: string): Promise<StoredRun> {
    await this.deps.queueReady();
    const run = await this.get(owner, id);
    if (!["READY", "FAILED", "CANCELLED"].includes(run.status)) {
      throw conflict("not_redeployable", `a run in state ${run.status} cannot be redeployed`);
    }
    // The policy may have tightened and the host's DNS may have moved since the run was created.
    await checkRepoUrl(run.repoUrl, this.deps.urlPolicy, this.deps.resolver);
    const at = this.now();
    // A new deploy, a new trace (linked to the last one): the run's traceId is its latest deploy's.
    return inSpan(
      "run",
      { [RUN_ID_ATTRIBUTE]: id, "reporunner.run.redeploy": true },
      async (span) => {
        const moved = await this.deps.store.transition(id, "QUEUED", {
          from: ["READY", "FAILED", "CANCELLED"],
          holder: null,
          reason: "redeploy requested by the owner",
          set: {
            reason: null,
            attempt: 0,
            cancelRequested: false,
            destroyRequested: false,
            enqueuedAt: null,
            expiresAt: new Date(at.getTime() + run.ttlSeconds * 1000),
            traceparent: traceparentOf(span) ?? null,
          },
        });
        if (!moved.ok) throw conflict("run_busy", "the run changed state; retry");
        return this.afterTransition(moved, "deploy");
      },
      { parent: "root", links: linkTo(run.traceparent) },
    );
  }

  /**
   * Moves the run's expiry to `ttl` seconds from now (and keeps `ttl` for a later redeploy), in any
   * state but DESTROYING and the final ones. Not a transition: no event, and a worker holding the run
   * keeps it; the reaper re-checks the expiry in its own compare-and-set, so it cannot undo this.
   */
  async extend(owner: string, id: string, input: ExtendRunInput): Promise<StoredRun> {
    const run = await this.get(owner, id);
    const refuse = (status: RunState) =>
      conflict("not_extendable", `a run in state ${status} cannot be extended`);
    if (!EXTENDABLE.includes(run.status)) throw refuse(run.status);
    const expiresAt = new Date(this.now().getTime() + input.ttl * 1000);
    const extended = await this.deps.store.patch(
      id,
      { ttlSeconds: input.ttl, expiresAt },
      { inStates: EXTENDABLE },
    );
    if (!extended) throw refuse((await this.get(owner, id)).status);
    return extended;
  }

  private async afterTransition(
    moved: TransitionResult & { ok: true },
    action: JobAction,
  ): Promise<StoredRun> {
    await this.emitState(moved.run);
    // If Redis fails right here, the run keeps enqueuedAt null and the reaper queues it later.
    return this.enqueue(moved.run, action);
  }

  /**
   * Queues the job, then marks the record: the mark only tells the reaper that the job reached Redis,
   * so the caller does not wait for it (it was a second MongoDB write, and the slowest, on every
   * POST). Marks are written one at a time, so a burst of requests cannot pile writes on the
   * database behind the ones that answer clients. Were one lost, the reaper queues the job again
   * after its delay, and the run's compare-and-set lets only one job take it.
   */
  private async enqueue(run: StoredRun, action: JobAction): Promise<StoredRun> {
    await this.deps.queue.enqueue(run._id, action);
    const at = this.now();
    const mark = () =>
      this.deps.store.patch(run._id, { enqueuedAt: at }, { inStates: [run.status] }).then(
        () => undefined,
        (err: Error) =>
          this.deps.logger.warn(
            { runId: run._id, err: err.message },
            "could not mark the run queued; the reaper will",
          ),
      );
    this.marking = this.marking.then(mark);
    return { ...run, enqueuedAt: at };
  }

  /** The marks not written yet, in order (see `enqueue`). */
  private marking: Promise<void> = Promise.resolve();

  private async emitState(run: StoredRun): Promise<void> {
    await emitState(this.deps.events, this.deps.logger, run);
  }
}

/** Appends a state event; the record is the source of truth, so a lost event is logged, not fatal. */
export async function emitState(
  events: Pick<EventLog, "append">,
  logger: Logger,
  run: Pick<RunRecord, "_id" | "status" | "reason" | "updatedAt">,
): Promise<void> {
  try {
    await events.append(run._id, "state", {
      status: run.status,
      reason: run.reason ?? undefined,
      at: run.updatedAt.toISOString(),
    });
  } catch (err) {
    logger.warn({ runId: run._id, err: (err as Error).message }, "could not append a state event");
  }
}

/**
 * The answer to a create whose Idempotency-Key an earlier run holds: that run, when the request is
 * the same; 409, not 422, when it is not (the request is valid in itself and conflicts with the key's
 * earlier use).
 */
function replay(earlier: StoredRun, requestHash: string | undefined): Created {
  if (requestHash === undefined || earlier.idempotency?.requestHash !== requestHash) {
    throw new AppError(
      "idempotency_key_reused",
      "this Idempotency-Key was used with a different request",
      409,
      "Idempotency-Key",
    );
  }
  return { run: earlier, replayed: true };
}

/**
 * A create request in one canonical text, whose digest tells a retry from a different request with
 * the same key (`RunStore.requestDigest`: keyed, since the text holds the env values).
 */
function canonicalRequest(input: CreateRunInput): string {
  return JSON.stringify([
    input.repoUrl,
    input.ref ?? null,
    input.mode,
    input.ttl ?? null,
    input.previewPort ?? null,
    Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : 1)),
  ]);
}
