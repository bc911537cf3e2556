import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceCandles } from "../data/candles.js";
import { writeCandlesCsv } from "../data/csv.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { indexAtOrAfter } from "../data/splits.js";
import { Journal } from "./journal.js";
import { forcedActionCheckpoint, trainTestCheckpoint } from "./testing/checkpoints.js";
import { startFakeBinance, type FakeCandle } from "./testing/fake-binance.js";

/**
 * R6 with real processes: `npm run trade` (scripts/trade.ts under node + tsx) killed with SIGKILL, then the same
 * command again.
 *   - A replay killed at random moments, several times, then resumed, ends exactly where an uninterrupted one ends:
 *     the same decisions and orders, bar for bar, nothing twice.
 *   - A live run (real ccxt against the local fake Binance) killed after the exchange accepted its order and
 *     before the answer was recorded: the next process adopts the order by its client id and never re-places it.
 *   (An order cancelled on the exchange while the trader is down: order-manager.test.ts "R6".)
 */
const dir = mkdtempSync(join(tmpdir(), "kill-restart-"));
let seedCk: string;
let csv: string;

beforeAll(async () => {
  seedCk = await trainTestCheckpoint(dir, "exposure");
  const m = loadEmbeddedMarket();
  csv = join(dir, "market.csv");
  writeCandlesCsv(csv, sliceCandles(m, indexAtOrAfter(m, Date.parse("2021-02-20")), indexAtOrAfter(m, Date.parse("2021-03-07"))));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Proc {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function trade(args: readonly string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/trade.ts", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function journalRows(path: string) {
  const j = Journal.openReadOnly(path);
  const decisions = j.db.prepare<unknown[]>("SELECT decision_id, bar_ts, action, side, spend, amount, cash, coins, value, risk_code, policy_state FROM decisions ORDER BY bar_ts").all() as Record<string, unknown>[];
  const orders = j.db.prepare<unknown[]>("SELECT client_order_id, decision_id, side, cost, amount, status, filled, cost_filled, average, fee, coins_delta, cash_delta FROM orders ORDER BY client_order_id").all() as Record<string, unknown>[];
  const equity = j.equity();
  const sim = j.db.prepare<unknown[]>("SELECT client_order_id, filled, cost FROM sim_orders ORDER BY seq").all() as Record<string, unknown>[];
  j.close();
  for (const d of decisions) {
    delete d._metadata;
    d.policy_state = Buffer.from(d.policy_state as Uint8Array).toString("hex");
  }
  for (const o of orders) delete o._metadata;
  for (const o of sim) delete o._metadata;
  return { decisions, orders, equity, sim };
}

describe("R6: kill -9 and restart, real processes", () => {
  it("a replay killed at random moments (and once stopped by SIGINT: exit 130) and resumed ends exactly where an uninterrupted one ends", async () => {
    const base = ["--checkpoint", seedCk, "--replay", csv, "--start", "2021-03-01", "--end", "2021-03-07", "--symbol", "BTC/USD", "--timeframe", "1h", "--risk", "standard", "--json"];
    const whole = join(dir, "whole.db");
    const ref = await trade([...base, "--journal", whole]).done;
    expect(ref.code).toBe(0);
    const refJson = JSON.parse(ref.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(refJson.ticks).toBe(143);

    const killed = join(dir, "killed.db");
    let kills = 0;
    const decided = (): number => {
      try {
        const j = Journal.openReadOnly(killed);
        const n = j.decisionCount();
        j.close();
        return n;
      } catch {
        return 0;
      }
    };
    // Killed twice at random points once it has committed some decisions: first paced at 4 ms a tick (every tick
    // commits), then as fast as possible (group commit: the kill loses the open batch of ticks and simulated orders).
    // Between the two kills, SIGINT during a paced run: the tick in progress finishes, exit 130, one line saying how to continue.
    const interrupt = async (): Promise<void> => {
      const p = trade([...base, "--journal", killed, "--tick-ms", "20"]);
      const at = decided() + 5;
      await until(() => decided() >= at || p.child.exitCode !== null, 60_000, `${at} decisions`);
      p.child.kill("SIGINT");
      const r = await p.done;
      expect(r.code).toBe(130);
      const lines = r.stderr.trim().split("\n");
      expect(lines.at(-1)).toMatch(/^npm run trade: .*SIGINT.*run the same command to continue/);
      expect(lines.filter((l) => l.startsWith("npm run trade:"))).toHaveLength(2); // the notice, then the last line
    };
    for (let k = 0; k < 2; k++) {
      if (k === 1) await interrupt();
      const p = trade([...base, "--journal", killed, ...(k === 0 ? ["--tick-ms", "4"] : [])]);
      const target = 20 + 50 * k + Math.floor(Math.random() * 25);
      await until(() => decided() >= target || p.child.exitCode !== null, 60_000, `${target} decisions`);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      if (p.child.exitCode === null) {
        p.child.kill("SIGKILL");
        kills++;
      }
      const r = await p.done;
      if (!(r.signal === "SIGKILL" || r.code === 0)) throw new Error(`run ${k} ended with ${r.code ?? r.signal}: ${r.stderr.slice(-800)}`);
    }
    expect(kills).toBeGreaterThanOrEqual(1);
    const fin = await trade([...base, "--journal", killed]).done;
    expect(fin.code).toBe(0);
    const finJson = JSON.parse(fin.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect({ ...finJson, journal: null }).toEqual({ ...refJson, journal: null });
    const a = journalRows(whole);
    const b = journalRows(killed);
    expect(b.decisions.map((d) => ({ ...d, decision_id: null }))).toEqual(a.decisions.map((d) => ({ ...d, decision_id: null })));
    expect(b.orders.map((o) => ({ ...o, client_order_id: null, decision_id: null }))).toEqual(a.orders.map((o) => ({ ...o, client_order_id: null, decision_id: null })));
    expect(b.equity).toEqual(a.equity);
    // The simulated exchange holds each order once.
    expect(new Set(b.sim.map((o) => o.client_order_id)).size).toBe(b.sim.length);
    expect(b.sim.length).toBe(a.sim.length);
  }, 120_000);

  it("live: killed after the exchange accepted the order, before the answer was saved: the order filled meanwhile is adopted, never re-placed", async () => {
    const M = 60_000;
    const now = Date.now();
    const first = Math.floor(now / M) * M - 300 * M;
    const fake = await startFakeBinance({ balances: { USDT: 10_000, BTC: 1 } });
    try {
      fake.candles = Array.from({ length: 320 }, (_, i): FakeCandle => {
        const p = 40_000 + 10 * Math.sin(i / 7) + i;
        return { ts: first + i * M, open: p - 1, high: p + 3, low: p - 3, close: p, volume: 5 };
      });
      const ck = forcedActionCheckpoint(seedCk, join(dir, "buyer"), 2, "1m"); // exposure preset: action 2 = 50% in coins
      const journal = join(dir, "live.db");
      const argsFor = (file: string) => ["--checkpoint", ck, "--exchange", "binance", "--symbol", "BTC/USDT", "--timeframe", "1m", "--live", "--confirm-live", "--api-url", fake.url, "--journal", file, "--risk", "off", "--late-start-ms", "60000", "--json"];
      const args = argsFor(journal);
      const env = { TRADER_API_KEY: fake.apiKey, TRADER_API_SECRET: fake.secret };
      fake.inject("createOrder", { kind: "accept_then_hang", delayMs: 60_000 });
      const p1 = trade(args, env);
      await until(() => fake.count("createOrder") === 1, 60_000, "the order to reach the exchange");
      await new Promise((r) => setTimeout(r, 100));
      p1.child.kill("SIGKILL");
      expect((await p1.done).signal).toBe("SIGKILL");
      expect(fake.orders).toHaveLength(1);
      const ours = fake.orders[0]!.clientOrderId;
      let j = Journal.openReadOnly(journal);
      expect(j.order(ours)).toMatchObject({ status: "unknown", sends: 1 });
      j.close();

      // The same command again.
      const p2 = trade(args, env);
      await until(
        () => {
          const jj = Journal.openReadOnly(journal);
          const done = jj.order(ours)?.status === "closed" && jj.tick(jj.decision(jj.lastDecision()!.barTs)!.barTs)?.status === "done";
          jj.close();
          return done;
        },
        60_000,
        "the restarted trader to adopt the order",
      );
      p2.child.kill("SIGTERM");
      const r2 = await p2.done;
      expect(r2.code).toBe(143); // a clean stop after the tick in progress
      expect(fake.orders.filter((o) => o.clientOrderId === ours)).toHaveLength(1);
      expect(fake.log.filter((r) => r.route === "createOrder" && r.query.newClientOrderId === ours)).toHaveLength(1);
      j = Journal.openReadOnly(journal);
      expect(j.events("reconcile").length).toBeGreaterThan(0);
      expect(j.order(ours)!.status).toBe("closed");
      j.close();

    } finally {
      await fake.close();
    }
  }, 180_000);
});
