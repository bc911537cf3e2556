/**
 * A durable LangGraph checkpointer on SQLite through `libsql` (prebuilt binaries, better-sqlite3's API): the coach
 * killed mid-graph resumes its thread from the last saved step (R18). `@langchain/langgraph-checkpoint-sqlite`
 * would do the same but pulls better-sqlite3, which compiles from source here; MemorySaver is not durable.
 * Validated by `@langchain/langgraph-checkpoint-validation` (libsql-saver.test.ts).
 *
 * Three tables: `checkpoints` (one row per checkpoint: the checkpoint without its channel values, metadata, parent
 * id), `blobs` (each channel value once per channel version: a step stores only the channels it changed, so a
 * long-lived coach does not rewrite its whole memory on every node) and `writes` (pending writes of a step, keyed by
 * task and index). Each `put` and each `putWrites` is one transaction on statements prepared once.
 *
 * The database runs in WAL mode. `synchronous` (default "full") chooses what a commit waits for:
 *   "full"    an fsync of the WAL on every commit: a committed step survives a power loss or an OS crash;
 *   "normal"  no fsync on commit (the WAL is synced at its checkpoints): a committed step survives a kill -9 of the
 *             process (R18's fault: the data is in the OS's page cache once the commit returns), but the last
 *             commits may roll back on a power loss. What the coach service uses: it checkpoints several times per
 *             decision, and its guidance version is kept monotonic by the floor from the bus even if the newest
 *             checkpoints are lost (src/coach/service.ts).
 *
 * LangGraph never deletes a checkpoint: a coach writes 3 per rule-path cycle (nodes + 2, sync durability), so the file
 * grows without bound. `prune({ keep })` deletes, per thread and namespace, every checkpoint but the newest `keep`,
 * their pending writes, and the channel values no kept checkpoint refers to; what resume needs (the newest
 * checkpoint, its pending writes and every value it points to, however old) is always kept. One transaction: a kill
 * during a prune leaves the database as it was before it. The service prunes every N cycles (src/coach/service.ts).
 */
import Database from "libsql";
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";
import { fastJsonSerializer } from "./fast-serde.js";

interface CheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string;
  checkpoint: unknown;
  metadata_type: string;
  metadata: unknown;
}
interface WriteRow {
  task_id: string;
  idx: number;
  channel: string;
  type: string;
  value: unknown;
  task_path: string;
}

/** libsql returns blobs as ArrayBuffer from all() and as Buffer from get(): one view for both. */
function bytes(x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (typeof x === "string") return new TextEncoder().encode(x);
  throw new Error(`libsql saver: unexpected column value of type ${typeof x}`);
}

function metadataMatches(metadata: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([k, v]) => JSON.stringify(metadata[k]) === JSON.stringify(v));
}

/** What a prune deleted (rows), and how many checkpoints are left. */
export interface PruneResult {
  readonly checkpoints: number;
  readonly writes: number;
  readonly blobs: number;
  readonly kept: number;
}

/** Rows in each table (tests and the bench watch the file stop growing). */
export interface SaverRowCounts {
  readonly checkpoints: number;
  readonly writes: number;
  readonly blobs: number;
}

export interface LibsqlSaverOptions {
  /** What a commit waits for (see above). Default "full". */
  readonly synchronous?: "full" | "normal";
  /** Default: LangGraph's JsonPlusSerializer with a native fast path for plain JSON (src/coach/fast-serde.ts). */
  readonly serde?: SerializerProtocol;
}

const CHECKPOINT_COLS = "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata_type, metadata";

export class LibsqlSaver extends BaseCheckpointSaver {
  private readonly db: Database.Database;
  readonly synchronous: "full" | "normal";
  private readonly sql: ReturnType<LibsqlSaver["prepareStatements"]>;

  /** `path`: a file (created if missing), or ":memory:" (tests). */
  constructor(readonly path: string, opts: LibsqlSaverOptions = {}) {
    super(opts.serde ?? fastJsonSerializer);
    this.synchronous = opts.synchronous ?? "full";
    this.db = new Database(path);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${this.synchronous === "full" ? "FULL" : "NORMAL"};`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS checkpoints (
        thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT, type TEXT NOT NULL, checkpoint BLOB NOT NULL,
        metadata_type TEXT NOT NULL, metadata BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id));
      CREATE TABLE IF NOT EXISTS writes (
        thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL, idx INTEGER NOT NULL, channel TEXT NOT NULL, type TEXT NOT NULL, value BLOB NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx));
      CREATE TABLE IF NOT EXISTS blobs (
        thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL, version TEXT NOT NULL,
        type TEXT NOT NULL, value BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, channel, version));`);
    this.sql = this.prepareStatements();
  }

  /** Every statement of the hot paths, prepared once (preparing one costs more than running it). */
  private prepareStatements() {
    const db = this.db;
    return {
      writes: db.prepare("SELECT task_id, idx, channel, type, value, task_path FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"),
      blob: db.prepare("SELECT type, value FROM blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?"),
      checkpointById: db.prepare(`SELECT ${CHECKPOINT_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?`),
      latestCheckpoint: db.prepare(`SELECT ${CHECKPOINT_COLS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1`),
      putBlob: db.prepare("INSERT OR IGNORE INTO blobs (thread_id, checkpoint_ns, channel, version, type, value) VALUES (?, ?, ?, ?, ?, ?)"),
      putCheckpoint: db.prepare(
        "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata_type, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      replaceWrite: db.prepare("INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      keepWrite: db.prepare("INSERT OR IGNORE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    };
  }

  close(): void {
    this.db.close();
  }

  private orderedWrites(threadId: string, ns: string, checkpointId: string): WriteRow[] {
    const writes = this.sql.writes.all(threadId, ns, checkpointId) as WriteRow[];
    return writes.sort((a, b) => compareWritesSortKeys(writesSortKey(a.task_path, a.task_id, a.idx), writesSortKey(b.task_path, b.task_id, b.idx)));
  }

  private async tuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const checkpoint = (await this.serde.loadsTyped(row.type, bytes(row.checkpoint))) as Checkpoint;
    const metadata = (await this.serde.loadsTyped(row.metadata_type, bytes(row.metadata))) as CheckpointMetadata;
    const values: Record<string, unknown> = {};
    const blob = this.sql.blob;
    for (const [channel, version] of Object.entries(checkpoint.channel_versions ?? {})) {
      const b = blob.all(row.thread_id, row.checkpoint_ns, channel, String(version))[0] as { type: string; value: unknown } | undefined;
      if (b !== undefined && b.type !== "empty") values[channel] = await this.serde.loadsTyped(b.type, bytes(b.value));
    }
    checkpoint.channel_values = values;
    // Checkpoints before format 4 kept pending sends as the parent's TASKS writes: bring them into the channel.
    if (checkpoint.v < 4 && row.parent_checkpoint_id !== null) {
      const sends: unknown[] = [];
      for (const w of this.orderedWrites(row.thread_id, row.checkpoint_ns, row.parent_checkpoint_id)) {
        if (w.channel === TASKS) sends.push(await this.serde.loadsTyped(w.type, bytes(w.value)));
      }
      checkpoint.channel_values[TASKS] = sends;
      const versions = Object.values(checkpoint.channel_versions ?? {});
      checkpoint.channel_versions = { ...checkpoint.channel_versions, [TASKS]: versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined) };
    }
    const pendingWrites: CheckpointPendingWrite[] = [];
    for (const w of this.orderedWrites(row.thread_id, row.checkpoint_ns, row.checkpoint_id)) pendingWrites.push([w.task_id, w.channel, await this.serde.loadsTyped(w.type, bytes(w.value))]);
    const t: CheckpointTuple = {
      config: { configurable: { thread_id: row.thread_id, checkpoint_ns: row.checkpoint_ns, checkpoint_id: row.checkpoint_id } },
      checkpoint,
      metadata,
      pendingWrites,
    };
    if (row.parent_checkpoint_id !== null) {
      t.parentConfig = { configurable: { thread_id: row.thread_id, checkpoint_ns: row.checkpoint_ns, checkpoint_id: row.parent_checkpoint_id } };
    }
    return t;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const c = config.configurable ?? {};
    const threadId = c.thread_id as string | undefined;
    if (threadId === undefined) return undefined;
    const ns = (c.checkpoint_ns as string | undefined) ?? "";
    const id = c.checkpoint_id as string | undefined;
    const row = (id ? this.sql.checkpointById.all(threadId, ns, id) : this.sql.latestCheckpoint.all(threadId, ns))[0] as CheckpointRow | undefined;
    return row === undefined ? undefined : this.tuple(row);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const c = config.configurable ?? {};
    const where: string[] = [];
    const args: string[] = [];
    if (c.thread_id !== undefined) {
      where.push("thread_id = ?");
      args.push(String(c.thread_id));
    }
    if (c.checkpoint_ns !== undefined) {
      where.push("checkpoint_ns = ?");
      args.push(String(c.checkpoint_ns));
    }
    if (c.checkpoint_id) {
      where.push("checkpoint_id = ?");
      args.push(String(c.checkpoint_id));
    }
    const before = options.before?.configurable?.checkpoint_id as string | undefined;
    if (before) {
      where.push("checkpoint_id < ?");
      args.push(before);
    }
    const sql = `SELECT * FROM checkpoints ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY thread_id, checkpoint_ns, checkpoint_id DESC`;
    const rows = this.db.prepare(sql).all(...args) as CheckpointRow[];
    let left = options.limit;
    for (const row of rows) {
      if (left !== undefined && left <= 0) return;
      const t = await this.tuple(row);
      if (options.filter && !metadataMatches((t.metadata ?? {}) as Record<string, unknown>, options.filter)) continue;
      if (left !== undefined) left--;
      yield t;
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const c = config.configurable ?? {};
    const threadId = c.thread_id as string | undefined;
    if (threadId === undefined) throw new Error('LibsqlSaver.put: the config has no "thread_id" in "configurable"');
    const ns = (c.checkpoint_ns as string | undefined) ?? "";
    const { channel_values: channelValues, ...rest } = checkpoint;
    const [type, data] = await this.serde.dumpsTyped({ ...rest, channel_values: {} });
    const [mType, mData] = await this.serde.dumpsTyped(metadata);
    const blobs: Array<[string, string, string, Uint8Array]> = [];
    for (const [channel, version] of Object.entries(newVersions)) {
      if (channel in (channelValues ?? {})) {
        const [bType, bData] = await this.serde.dumpsTyped((channelValues as Record<string, unknown>)[channel]);
        blobs.push([channel, String(version), bType, bData]);
      } else blobs.push([channel, String(version), "empty", new Uint8Array()]);
    }
    const { putBlob, putCheckpoint } = this.sql;
    const tx = this.db.transaction(() => {
      for (const [channel, version, bType, bData] of blobs) putBlob.run(threadId, ns, channel, version, bType, Buffer.from(bData));
      putCheckpoint.run(threadId, ns, checkpoint.id, (c.checkpoint_id as string | undefined) ?? null, type, Buffer.from(data), mType, Buffer.from(mData));
    });
    tx();
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const c = config.configurable ?? {};
    const threadId = c.thread_id as string | undefined;
    const id = c.checkpoint_id as string | undefined;
    if (threadId === undefined) throw new Error('LibsqlSaver.putWrites: the config has no "thread_id" in "configurable"');
    if (id === undefined) throw new Error('LibsqlSaver.putWrites: the config has no "checkpoint_id" in "configurable"');
    const ns = (c.checkpoint_ns as string | undefined) ?? "";
    const rows: Array<[number, string, string, Uint8Array]> = [];
    for (let i = 0; i < writes.length; i++) {
      const [channel, value] = writes[i]!;
      const [type, data] = await this.serde.dumpsTyped(value);
      rows.push([WRITES_IDX_MAP[channel] ?? i, channel, type, data]);
    }
    // Special channels (errors, interrupts: negative index) replace; ordinary writes are kept as first written.
    const { replaceWrite: replace, keepWrite: keep } = this.sql;
    const tx = this.db.transaction(() => {
      for (const [idx, channel, type, data] of rows) (idx < 0 ? replace : keep).run(threadId, ns, id, taskId, idx, channel, type, Buffer.from(data), taskPath);
    });
    tx();
  }

  /**
   * Keeps the newest `keep` checkpoints (at least 1) of each thread and namespace (or of `threadId` only), their
   * pending writes and every channel value they refer to; deletes the rest in one transaction.
   */
  async prune(opts: { readonly keep: number; readonly threadId?: string }): Promise<PruneResult> {
    if (!(Number.isInteger(opts.keep) && opts.keep >= 1)) throw new RangeError(`LibsqlSaver.prune: keep must be an integer ≥ 1, got ${opts.keep}`);
    const db = this.db;
    const groups = (opts.threadId === undefined
      ? db.prepare("SELECT DISTINCT thread_id, checkpoint_ns FROM checkpoints").all()
      : db.prepare("SELECT DISTINCT thread_id, checkpoint_ns FROM checkpoints WHERE thread_id = ?").all(opts.threadId)) as Array<{ thread_id: string; checkpoint_ns: string }>;
    // The kept checkpoints' channel versions, read before the transaction (deserialising is async).
    const plans: Array<{ thread: string; ns: string; keptIds: string[]; refs: Set<string> }> = [];
    const newest = db.prepare("SELECT checkpoint_id, type, checkpoint FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT ?");
    for (const g of groups) {
      const rows = newest.all(g.thread_id, g.checkpoint_ns, opts.keep) as Array<{ checkpoint_id: string; type: string; checkpoint: unknown }>;
      const refs = new Set<string>();
      for (const r of rows) {
        const cp = (await this.serde.loadsTyped(r.type, bytes(r.checkpoint))) as Checkpoint;
        for (const [channel, version] of Object.entries(cp.channel_versions ?? {})) refs.add(JSON.stringify([channel, String(version)]));
      }
      plans.push({ thread: g.thread_id, ns: g.checkpoint_ns, keptIds: rows.map((r) => r.checkpoint_id), refs });
    }
    let checkpoints = 0;
    let writes = 0;
    let blobs = 0;
    let kept = 0;
    const oldest = (p: { keptIds: string[] }): string => p.keptIds[p.keptIds.length - 1]!;
    const delCheckpoints = db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?");
    const delWrites = db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?");
    const blobKeys = db.prepare("SELECT channel, version FROM blobs WHERE thread_id = ? AND checkpoint_ns = ?");
    const delBlob = db.prepare("DELETE FROM blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?");
    const newestNow = db.prepare("SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1");
    const tx = db.transaction(() => {
      for (const p of plans) {
        // A checkpoint written since the plan was read (another connection) is newer: nothing planned refers to it.
        if ((newestNow.get(p.thread, p.ns) as { checkpoint_id: string } | undefined)?.checkpoint_id !== p.keptIds[0]) continue;
        checkpoints += delCheckpoints.run(p.thread, p.ns, oldest(p)).changes;
        writes += delWrites.run(p.thread, p.ns, oldest(p)).changes;
        for (const b of blobKeys.all(p.thread, p.ns) as Array<{ channel: string; version: string }>) {
          if (!p.refs.has(JSON.stringify([b.channel, b.version]))) blobs += delBlob.run(p.thread, p.ns, b.channel, b.version).changes;
        }
        kept += p.keptIds.length;
      }
    });
    tx();
    return { checkpoints, writes, blobs, kept };
  }

  /** Rows in each table. */
  rowCounts(): SaverRowCounts {
    const n = (t: string): number => (this.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { checkpoints: n("checkpoints"), writes: n("writes"), blobs: n("blobs") };
  }

  async deleteThread(threadId: string): Promise<void> {
    const tx = this.db.transaction(() => {
      this.db.prepare("DELETE FROM checkpoints WHERE thread_id = ?").run(threadId);
      this.db.prepare("DELETE FROM writes WHERE thread_id = ?").run(threadId);
      this.db.prepare("DELETE FROM blobs WHERE thread_id = ?").run(threadId);
    });
    tx();
  }
}
