/**
 * The run store: MongoDB collection `runs`. Every status change is a compare-and-set on the record's
 * status and version, checked against the transition table first, so no illegal transition can be
 * written and two writers cannot both win.
 */
import { createHash } from "node:crypto";
import type { Collection, Db, Filter } from "mongodb";
import { MongoServerError } from "mongodb";
import type { Logger } from "pino";
import { mongoCall } from "../dependencies";
import { type EnvSealer, type SealedEnv } from "./env-seal";
import type { RunRecord } from "./run";
import { RUN_STATES, type RunState } from "./states";
import { planTransition } from "./transition-plan";

/**
 * A run's Idempotency-Key, kept on the run itself: the digest of (owner, key), unique among runs,
 * and the digest of the request that created the run.
 */
export interface IdempotencyMark {
  readonly key: string;
  readonly requestHash: string;
}

/** A key as the `idempotency` collection kept it (`_id`: the key's digest, as `idempotencyKeyDigest`). */
interface LegacyKeyRecord {
  _id: string;
  runId: string;
  requestHash: string;
  createdAt: Date;
}

/** A stored record plus its write counter (the compare-and-set's second half). */
export type StoredRun = RunRecord & { version: number; idempotency?: IdempotencyMark };

/** What `insertWithKey` did: stored the run, or found the earlier run that holds its key. */
export type KeyedInsert = { inserted: StoredRun } | { earlier: StoredRun };

/** What local previews read of a READY run (`findReadyPreviews`). */
export type ReadyPreviewRun = Pick<
  StoredRun,
  "_id" | "namespace" | "previewTargets" | "localUrls" | "createdAt" | "version"
>;

/** Fields a transition may set besides the status. */
export type RunPatch = Partial<
  Omit<RunRecord, "_id" | "status" | "history" | "phases" | "owner" | "createdAt">
>;

/** What a transition asks for beyond `to`. */
export interface TransitionOptions {
  /** Only when the run is in one of these states (a narrower check than the transition table). */
  readonly from?: readonly RunState[];
  /** Only when this worker holds the run (`null`: only when nobody does). */
  readonly holder?: string | null;
  /** Only when the run expired by then (the reaper: an owner may have extended it since it looked). */
  readonly expiredBy?: Date;
  readonly reason?: string;
  readonly set?: RunPatch;
}

/** The outcome of a transition: the record after it, or why it was refused. */
export type TransitionResult =
  { ok: true; run: StoredRun } | { ok: false; why: "not-found" | "illegal" | "conflict"; run?: StoredRun };

const DUPLICATE_KEY = 11000;
/** How long an Idempotency-Key keeps answering with the run it created. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** The `$jsonSchema` the collection is created with, where the server supports validators. */
export const RUNS_VALIDATOR = {
  $jsonSchema: {
    bsonType: "object",
    required: ["_id", "owner", "repoUrl", "status", "createdAt", "updatedAt", "expiresAt", "version"],
    properties: {
      _id: { bsonType: "string", pattern: "^[a-z0-9]{8,12}$" },
      owner: { bsonType: "string" },
      repoUrl: { bsonType: "string" },
      status: { enum: [...RUN_STATES] },
      createdAt: { bsonType: "date" },
      updatedAt: { bsonType: "date" },
      expiresAt: { bsonType: "date" },
      version: { bsonType: ["int", "long", "double"] },
    },
  },
};

/**
 * A page cursor: the last item's createdAt (ms) and id. Every string of this shape is a position in
 * the list (the runs created before it), so the API can publish the pattern and honour all of it.
 */
export const PAGE_CURSOR = /^([0-9]{1,15})-([a-z0-9]{8,12})$/;

function encodeCursor(run: RunRecord): string {
  return `${run.createdAt.getTime()}-${run._id}`;
}

function decodeCursor(cursor: string): [Date, string] | undefined {
  const m = PAGE_CURSOR.exec(cursor);
  // 15 digits stay below the largest date (8.64e15 ms): every match is a valid Date.
  return m ? [new Date(Number(m[1])), m[2]!] : undefined;
}

/**
 * Serialises the read-modify-write of one record across processes. MongoDB applies a single-document
 * update atomically, but FerretDB v1 reads, modifies and writes the whole document back without
 * isolation, so two concurrent compare-and-sets can both "win" and one update is lost. The runtime
 * passes a Redis lock per run id; the store takes it only on a server that is not MongoDB (`init`
 * asks), where the compare-and-set alone does not decide. Without one (a test) the store relies on
 * the server alone.
 */
export type RecordLock = <T>(id: string, fn: () => Promise<T>) => Promise<T>;

/**
 * The MongoDB-backed run store. Construct with a `Db`; call `init()` once before use. Run environment
 * values are stored only sealed with the `sealer`'s instance key (`sealEnv`, `openEnv`); a store
 * without a sealer refuses runs that have values.
 */
export class RunStore {
  private readonly runs: Collection<StoredRun>;
  /** Whether the server enforces `RUNS_VALIDATOR` (FerretDB v1 does not; the service does anyway). */
  serverValidation = false;
  /**
   * Whether the server updates one document atomically, so a compare-and-set needs no record lock:
   * MongoDB does, FerretDB v1 does not. Unknown (false: locked) until `init` asks the server.
   */
  atomicUpdates = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly lock: RecordLock = (_id, fn) => fn(),
    private readonly sealer?: EnvSealer,
  ) {
    this.runs = db.collection<StoredRun>("runs");
  }

  /** Creates the collections, their validator where supported, and the indexes. Idempotent. */
  async init(): Promise<void> {
    await mongoCall(async () => {
      const info = await this.db.admin().command({ buildInfo: 1 });
      this.atomicUpdates = !("ferretdbVersion" in info);
      this.serverValidation = await this.applyValidator();
      await this.runs.createIndex({ owner: 1, createdAt: -1 }, { name: "owner_createdAt" });
      await this.runs.createIndex({ status: 1 }, { name: "status" });
      await this.runs.createIndex({ expiresAt: 1 }, { name: "expiresAt" });
      // Sparse: runs created without a key are not in it.
      await this.runs.createIndex(
        { "idempotency.key": 1 },
        { name: "idempotency_key", unique: true, sparse: true },
      );
      await this.adoptLegacyKeys();
    });
  }

  /**
   * The keys of the `idempotency` collection, where they were kept until they moved onto the runs:
   * each of the last IDEMPOTENCY_TTL_MS goes onto its run (if it has none), then the collection is
   * dropped, so a client's retry that spans the upgrade still gets its run, not a second one.
   */
  private async adoptLegacyKeys(): Promise<void> {
    const found = await this.db.listCollections({ name: "idempotency" }, { nameOnly: true }).toArray();
    if (found.length === 0) return;
    const legacy = this.db.collection<LegacyKeyRecord>("idempotency");
    const since = new Date(this.now().getTime() - IDEMPOTENCY_TTL_MS);
    for await (const { _id: key, runId, requestHash } of legacy.find({ createdAt: { $gte: since } })) {
      await this.runs
        .updateOne(
          { _id: runId, idempotency: { $exists: false } },
          { $set: { idempotency: { key, requestHash } }, $inc: { version: 1 } },
        )
        .catch((err: unknown) => {
          // Another instance adopted it first: the key is on a run already.
          if (!(err instanceof MongoServerError) || err.code !== DUPLICATE_KEY) throw err;
        });
    }
    await legacy.drop().catch(() => undefined); // another instance dropped it first
  }

  private async applyValidator(): Promise<boolean> {
    const exists = (await this.db.listCollections({ name: "runs" }, { nameOnly: true }).toArray()).length > 0;
    try {
      if (exists)
        await this.db.command({ collMod: "runs", validator: RUNS_VALIDATOR, validationLevel: "strict" });
      else await this.db.createCollection("runs", { validator: RUNS_VALIDATOR, validationLevel: "strict" });
      return true;
    } catch (err) {
      if (!(err instanceof MongoServerError)) throw err;
      // FerretDB v1 answers NotImplemented / unknown command / unknown field: keep going without the
      // server-side validator; the service validates every record it writes.
      this.logger.warn(
        { code: err.code, reason: err.message.slice(0, 120) },
        "the database does not support collection validators",
      );
      if (!exists) await this.db.createCollection("runs").catch(() => undefined);
      return false;
    }
  }

  /** `fn` under the record lock, unless the server's own compare-and-set decides (`atomicUpdates`). */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.atomicUpdates ? fn() : this.lock(id, fn);
  }

  /** A run's environment as the record keeps it: each value sealed with the instance key, bound to the run. */
  sealEnv(runId: string, env: Readonly<Record<string, string>>): SealedEnv {
    if (Object.keys(env).length === 0) return {};
    if (!this.sealer) throw new Error("the run store has no env key: it cannot keep environment values");
    return this.sealer.seal(runId, env);
  }

  /** The values of a run's environment, for its deploy; throws `EnvSealError` under another instance's key. */
  openEnv(run: Pick<RunRecord, "_id" | "env">): Record<string, string> {
    const env = run.env ?? {};
    if (Object.keys(env).length === 0) return {};
    if (!this.sealer) throw new Error("the run store has no env key: it cannot read environment values");
    return this.sealer.open(run._id, env);
  }

  /**
   * The digest a run keeps of the request that created it: keyed with the instance key when the store
   * has one, so a record never holds a guessable hash of a request's values.
   */
  requestDigest(canonical: string): string {
    return this.sealer ? this.sealer.digest(canonical) : createHash("sha256").update(canonical).digest("hex");
  }

  /** Inserts a new run. */
  async insert(run: RunRecord): Promise<StoredRun> {
    const stored: StoredRun = { ...run, version: 1 };
    await mongoCall(() => this.runs.insertOne(stored));
    return stored;
  }

  /** The digest under which a run keeps its owner's Idempotency-Key. */
  idempotencyKeyDigest(owner: string, key: string): string {
    return createHash("sha256").update(`${owner}\0${key}`).digest("hex");
  }

  /**
   * Inserts a new run that carries an Idempotency-Key, in one write: the key is unique among runs, so
   * when a run of the last IDEMPOTENCY_TTL_MS holds it already, nothing is written and that run is
   * the answer. An older run gives the key up (clients retry within minutes, not days); a run removed
   * in between (its job never reached the queue) leaves the key free.
   */
  async insertWithKey(run: RunRecord, idempotency: IdempotencyMark): Promise<KeyedInsert> {
    const stored: StoredRun = { ...run, version: 1, idempotency };
    for (let tries = 0; tries < 3; tries++) {
      try {
        await mongoCall(() => this.runs.insertOne(stored));
        return { inserted: stored };
      } catch (err) {
        if (!(err instanceof MongoServerError) || err.code !== DUPLICATE_KEY) throw err;
      }
      const earlier = await mongoCall(() => this.runs.findOne({ "idempotency.key": idempotency.key }));
      if (!earlier) continue;
      if (earlier.createdAt.getTime() >= this.now().getTime() - IDEMPOTENCY_TTL_MS) return { earlier };
      await this.locked(earlier._id, () =>
        mongoCall(() =>
          this.runs.updateOne(
            { _id: earlier._id, "idempotency.key": idempotency.key },
            { $unset: { idempotency: "" }, $inc: { version: 1 } },
          ),
        ),
      );
    }
    throw new Error("the run's Idempotency-Key stayed taken");
  }

  /** A run by id, whoever owns it (workers, sweepers). */
  async get(id: string): Promise<StoredRun | null> {
    return mongoCall(() => this.runs.findOne({ _id: id }));
  }

  /** A run by id if `owner` owns it: other owners' runs do not exist for them. */
  async getOwned(owner: string, id: string): Promise<StoredRun | null> {
    return mongoCall(() => this.runs.findOne({ _id: id, owner }));
  }

  /** A page of an owner's runs, newest first. */
  async list(
    owner: string,
    query: { status?: readonly RunState[]; limit: number; cursor?: string },
  ): Promise<{ items: StoredRun[]; nextCursor: string | null } | { badCursor: true }> {
    const filter: Filter<StoredRun> = { owner };
    if (query.status?.length) filter.status = { $in: [...query.status] };
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      if (!c) return { badCursor: true };
      filter.$or = [{ createdAt: { $lt: c[0] } }, { createdAt: c[0], _id: { $lt: c[1] } }];
    }
    const items = await mongoCall(() =>
      this.runs
        .find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .limit(query.limit + 1)
        .toArray(),
    );
    const more = items.length > query.limit;
    const page = more ? items.slice(0, query.limit) : items;
    return { items: page, nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
  }

  /**
   * Moves a run to `to` if the transition table allows it from the run's current state and nobody
   * wrote the run in between (compare-and-set on status and version).
   */
  async transition(id: string, to: RunState, options: TransitionOptions = {}): Promise<TransitionResult> {
    // A miss on the version alone (a concurrent patch of another field) is retried: each try
    // re-checks the table and the holder against the record as it is then.
    let result: TransitionResult = { ok: false, why: "not-found" };
    for (let tries = 0; tries < 5; tries++) {
      result = await this.locked(id, () => this.transitionOnce(id, to, options));
      if (result.ok || result.why !== "conflict" || !result.run) return result;
      const now = await this.get(id);
      if (!now || now.status !== result.run.status || now.holder !== result.run.holder) return result;
    }
    return result;
  }

  private async transitionOnce(
    id: string,
    to: RunState,
    options: TransitionOptions,
  ): Promise<TransitionResult> {
    const run = await this.get(id);
    if (!run) return { ok: false, why: "not-found" };
    const plan = planTransition(run, to, options, this.now());
    if (!plan.ok) return plan;
    const result = await mongoCall(() =>
      this.runs.findOneAndUpdate(
        { _id: id, status: run.status, version: run.version },
        { $set: plan.set, $push: { history: plan.entry }, $inc: { version: 1 } },
        { returnDocument: "after" },
      ),
    );
    if (!result) return { ok: false, why: "conflict", run };
    return { ok: true, run: result };
  }

  /**
   * Sets fields other than the status, if the run is still in one of `inStates` (and held by
   * `holder`, when given). Returns the record after the write, or null when the condition failed.
   */
  async patch(
    id: string,
    set: RunPatch,
    condition: { inStates?: readonly RunState[]; holder?: string | null } = {},
  ): Promise<StoredRun | null> {
    const filter: Filter<StoredRun> = { _id: id };
    if (condition.inStates) filter.status = { $in: [...condition.inStates] };
    if (condition.holder !== undefined) filter.holder = condition.holder;
    return this.locked(id, () =>
      mongoCall(() =>
        this.runs.findOneAndUpdate(
          filter,
          { $set: { ...set, updatedAt: this.now() }, $inc: { version: 1 } },
          { returnDocument: "after" },
        ),
      ),
    );
  }

  /** Removes a run that never reached the queue (the enqueue failed), so a retry starts clean. */
  async removeUnqueued(id: string): Promise<void> {
    await mongoCall(() => this.runs.deleteOne({ _id: id, status: "QUEUED", enqueuedAt: null }));
  }

  /** Runs past their expiry in one of `states`, oldest first. */
  async findExpired(at: Date, states: readonly RunState[], limit: number): Promise<StoredRun[]> {
    return mongoCall(() =>
      this.runs
        .find({ expiresAt: { $lte: at }, status: { $in: [...states] } })
        .sort({ expiresAt: 1 })
        .limit(limit)
        .toArray(),
    );
  }

  /** QUEUED or DESTROYING runs whose job never reached Redis (last written before `before`). */
  async findUnenqueued(before: Date, limit: number): Promise<StoredRun[]> {
    return mongoCall(() =>
      this.runs
        .find({ status: { $in: ["QUEUED", "DESTROYING"] }, enqueuedAt: null, updatedAt: { $lte: before } })
        .limit(limit)
        .toArray(),
    );
  }

  /** READY runs that have preview targets, oldest first (so the oldest keeps a contested port). */
  async findReadyPreviews(): Promise<ReadyPreviewRun[]> {
    return mongoCall(() =>
      this.runs
        .find(
          { status: "READY", previewTargets: { $exists: true } },
          { projection: { namespace: 1, previewTargets: 1, localUrls: 1, createdAt: 1, version: 1 } },
        )
        .sort({ createdAt: 1, _id: 1 })
        .toArray(),
    );
  }

  /**
   * Writes a run's local preview URLs if it is still READY and, given `version`, unwritten since it
   * was read: a run that moved on keeps its newer state. False when the condition failed.
   */
  async setLocalUrls(id: string, localUrls: Record<string, string>, version?: number): Promise<boolean> {
    const filter: Filter<StoredRun> = { _id: id, status: "READY" };
    if (version !== undefined) filter.version = version;
    const after = await this.locked(id, () =>
      mongoCall(() =>
        this.runs.findOneAndUpdate(
          filter,
          { $set: { localUrls, updatedAt: this.now() }, $inc: { version: 1 } },
          { returnDocument: "after" },
        ),
      ),
    );
    return after !== null;
  }

  /** The records of these ids that exist. */
  async findByIds(ids: readonly string[]): Promise<StoredRun[]> {
    if (ids.length === 0) return [];
    return mongoCall(() => this.runs.find({ _id: { $in: [...ids] } }).toArray());
  }

  /** Round trip to the database (readiness). */
  async ping(): Promise<void> {
    await mongoCall(() => this.db.command({ ping: 1 }));
  }
}
