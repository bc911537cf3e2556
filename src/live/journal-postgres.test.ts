import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayJobOptions, runTradeJob } from "../jobs/trade-job.js";
import { Journal } from "./journal.js";
import { mirrorJournal } from "./journal-postgres.js";
import { trainTestCheckpoint } from "./testing/checkpoints.js";
import { startLocalPostgres, type LocalPostgres } from "./testing/local-postgres.js";

/** The journal mirrored into a real PostgreSQL server (a throwaway one; skipped where PostgreSQL is not installed). */
let server: LocalPostgres | null = null;
const dir = mkdtempSync(join(tmpdir(), "journal-pg-"));
beforeAll(async () => {
  server = await startLocalPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the journal in PostgreSQL", () => {
  it("mirrors every table incrementally and idempotently; the same queries answer the same", async (ctx) => {
    if (server === null) return ctx.skip();
    const ck = await trainTestCheckpoint(dir, "seed");
    const journal = join(dir, "replay.db");
    const job = (maxTicks: number | null) =>
      runTradeJob(replayJobOptions({ checkpoint: ck, replay: { data: null, start: "2021-03-01", end: "2021-03-06", tickMs: 0 }, journal, risk: "standard", postgres: server!.url, maxTicks }));
    await job(40);
    const first = await mirrorJournal(journal, server.url);
    expect(first.rows.decisions).toBeLessThanOrEqual(1); // already mirrored tick by tick: only the boundary row again
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const j = Journal.openReadOnly(journal);
      // Row by row, bit for bit (a SUM would differ in the last bit with the engines' summation orders).
      const local = (j.db.prepare<unknown[]>("SELECT bar_ts, value FROM equity ORDER BY bar_ts").all() as { bar_ts: number; value: number }[]).map((r) => [Number(r.bar_ts), r.value]);
      const remote = (await client.query<{ bar_ts: string; value: number }>(`SELECT bar_ts, value FROM drl.equity WHERE run_id = $1 ORDER BY bar_ts`, [j.runId])).rows.map((r) => [Number(r.bar_ts), r.value]);
      expect(local.length).toBeGreaterThan(0);
      expect(remote).toEqual(local);
      const decisions = j.decisionCount();
      const orders = j.orders().length;
      j.close();
      const d = await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM drl.decisions");
      expect(Number(d.rows[0]!.n)).toBe(decisions);
      const o = await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM drl.orders WHERE status = 'closed'");
      expect(Number(o.rows[0]!.n)).toBe(orders);
      // A policy state survives the trip (BYTEA).
      const s = await client.query<{ policy_state: Buffer }>("SELECT policy_state FROM drl.decisions ORDER BY bar_ts DESC LIMIT 1");
      expect(s.rows[0]!.policy_state.byteLength).toBeGreaterThan(0);
      expect(s.rows[0]!.policy_state.byteLength % 8).toBe(0);
      // The run continues: only new rows go over; nothing is duplicated.
      await job(null);
      const again = await mirrorJournal(journal, server.url);
      expect(again.rows.decisions).toBeLessThanOrEqual(1);
      const j2 = Journal.openReadOnly(journal);
      const d2 = await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM drl.decisions WHERE run_id = $1", [j2.runId]);
      expect(Number(d2.rows[0]!.n)).toBe(j2.decisionCount());
      j2.close();
    } finally {
      await client.end();
    }
  }, 120_000);
});
