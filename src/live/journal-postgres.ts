/**
 * The journal in PostgreSQL, for a user who outgrows one file (many runs, many markets, shared queries). The
 * trader keeps writing its local SQLite journal first — that write must be local and synchronous, because it
 * is what makes "journal before request" and kill -9 safety hold — and mirrors it into PostgreSQL: every table
 * of the journal, one PostgreSQL table each in a schema (default "drl"), with the journal's run id as the first
 * column of every key, so any number of journals share one database. The mirror is incremental (a watermark
 * per table and run) and idempotent (upserts): run it after every tick (`npm run trade -- --postgres URL`) or
 * once over an old journal (`mirrorJournal`). docs/live.md shows the queries.
 */
import pg from "pg";
import { Journal } from "./journal.js";

/** Each journal table with its key and the column whose value only grows (new and changed rows are at or above the last mark). */
const TABLES: ReadonlyArray<{ readonly name: string; readonly key: readonly string[]; readonly mark: string | null }> = [
  { name: "meta", key: ["key"], mark: null },
  { name: "candles", key: ["ts"], mark: "ts" },
  { name: "ticks", key: ["bar_ts"], mark: "bar_ts" },
  { name: "decisions", key: ["decision_id"], mark: "bar_ts" },
  { name: "orders", key: ["client_order_id"], mark: "updated_at" },
  { name: "equity", key: ["bar_ts"], mark: "bar_ts" },
  { name: "guidance", key: ["seq"], mark: "seq" },
  { name: "controls", key: ["seq"], mark: "seq" },
  { name: "events", key: ["seq"], mark: "seq" },
  { name: "state", key: ["key"], mark: null },
];

const PG_TYPE: Readonly<Record<string, string>> = { INTEGER: "BIGINT", REAL: "DOUBLE PRECISION", TEXT: "TEXT", BLOB: "BYTEA" };

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface MirrorResult {
  /** Rows sent per table this time (re-sent boundary rows included). */
  readonly rows: Readonly<Record<string, number>>;
  readonly runId: string;
}

interface Column {
  readonly name: string;
  readonly type: string;
}

function columnsOf(journal: Journal, table: string): Column[] {
  const info = journal.db.prepare<unknown[]>(`PRAGMA table_info(${ident(table)})`).all() as { name: string; type: string }[];
  return info.map((c) => ({ name: c.name, type: PG_TYPE[c.type.toUpperCase()] ?? "TEXT" }));
}

/** Creates the schema's tables (and the watermark table) when they do not exist. */
async function ensureTables(client: pg.ClientBase, schema: string, journal: Journal): Promise<Map<string, Column[]>> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${ident(schema)}.mirror_marks (run_id TEXT NOT NULL, table_name TEXT NOT NULL, mark DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, table_name))`);
  const cols = new Map<string, Column[]>();
  for (const t of TABLES) {
    const c = columnsOf(journal, t.name);
    cols.set(t.name, c);
    const defs = [`run_id TEXT NOT NULL`, ...c.map((x) => `${ident(x.name)} ${x.type}`)];
    await client.query(`CREATE TABLE IF NOT EXISTS ${ident(schema)}.${ident(t.name)} (${defs.join(", ")}, PRIMARY KEY (run_id, ${t.key.map(ident).join(", ")}))`);
  }
  return cols;
}

/**
 * Copies what changed in the journal since the last mirror of this run into PostgreSQL (`url`), in one
 * PostgreSQL transaction. Safe to run while the trader writes the journal (it reads a WAL snapshot).
 */
export async function mirrorJournal(journalPath: string, url: string, opts: { readonly schema?: string; readonly batch?: number } = {}): Promise<MirrorResult> {
  const schema = opts.schema ?? "drl";
  const batch = opts.batch ?? 500;
  const journal = Journal.openReadOnly(journalPath);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows: Record<string, number> = {};
  try {
    const cols = await ensureTables(client, schema, journal);
    await client.query("BEGIN");
    for (const t of TABLES) {
      const c = cols.get(t.name)!;
      let mark = -Infinity;
      if (t.mark !== null) {
        const r = await client.query<{ mark: number }>(`SELECT mark FROM ${ident(schema)}.mirror_marks WHERE run_id = $1 AND table_name = $2`, [journal.runId, t.name]);
        mark = r.rows[0]?.mark ?? -Infinity;
      }
      const sql = t.mark === null ? `SELECT * FROM ${ident(t.name)}` : `SELECT * FROM ${ident(t.name)} WHERE ${ident(t.mark)} >= ? ORDER BY ${ident(t.mark)}`;
      const src = (t.mark === null ? journal.db.prepare<unknown[]>(sql).all() : journal.db.prepare<unknown[]>(sql).all(Number.isFinite(mark) ? mark : -Number.MAX_SAFE_INTEGER)) as Record<string, unknown>[];
      let top = mark;
      for (let i = 0; i < src.length; i += batch) {
        const chunk = src.slice(i, i + batch);
        const values: unknown[] = [];
        const tuples = chunk.map((row) => {
          const at = values.length;
          values.push(journal.runId, ...c.map((x) => {
            const v = row[x.name];
            if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
            if (v instanceof ArrayBuffer) return Buffer.from(v);
            return typeof v === "bigint" ? Number(v) : (v ?? null);
          }));
          if (t.mark !== null) top = Math.max(top, Number(row[t.mark]));
          return `(${Array.from({ length: c.length + 1 }, (_, k) => `$${at + k + 1}`).join(", ")})`;
        });
        const names = ["run_id", ...c.map((x) => x.name)].map(ident).join(", ");
        const updates = c.filter((x) => !t.key.includes(x.name)).map((x) => `${ident(x.name)} = EXCLUDED.${ident(x.name)}`);
        await client.query(
          `INSERT INTO ${ident(schema)}.${ident(t.name)} (${names}) VALUES ${tuples.join(", ")} ON CONFLICT (run_id, ${t.key.map(ident).join(", ")}) ${updates.length === 0 ? "DO NOTHING" : `DO UPDATE SET ${updates.join(", ")}`}`,
          values,
        );
      }
      rows[t.name] = src.length;
      if (t.mark !== null && Number.isFinite(top)) {
        await client.query(`INSERT INTO ${ident(schema)}.mirror_marks (run_id, table_name, mark) VALUES ($1, $2, $3) ON CONFLICT (run_id, table_name) DO UPDATE SET mark = EXCLUDED.mark`, [journal.runId, t.name, top]);
      }
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await client.end();
    journal.close();
  }
  return { rows, runId: journal.runId };
}

/** Mirrors after every tick, one mirror at a time, in the background: a failure is logged, trading goes on. */
export function postgresMirror(journalPath: string, url: string, log: (line: string) => void): { afterTick(): void; flush(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let queued = false;
  const once = async (): Promise<void> => {
    try {
      await mirrorJournal(journalPath, url);
    } catch (err) {
      log(`warn: PostgreSQL mirror failed (${err instanceof Error ? err.message : String(err)}); the SQLite journal is intact, the next tick retries`);
    }
  };
  return {
    afterTick() {
      if (queued) return;
      queued = true;
      running = running.then(() => {
        queued = false;
        return once();
      });
    },
    async flush() {
      await running;
      await once();
    },
  };
}
