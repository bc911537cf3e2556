import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sliceCandles } from "../data/candles.js";
import { readCandlesCsv, writeCandlesCsv } from "../data/csv.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { indexAtOrAfter } from "../data/splits.js";
import { withOrderFilter } from "../env/order-filter.js";
import { loadAgentPolicy } from "../eval/agent-policy.js";
import { backtestModel, runBacktest, type BacktestTrace } from "../eval/backtest.js";
import { replayJobOptions, runTradeJob } from "../jobs/trade-job.js";
import { resolveRiskLimits, type RiskLimitsInput } from "../trading/risk/risk-config.js";
import { backtestRiskFilter } from "../trading/risk/risk-filter.js";
import { Journal } from "./journal.js";
import { trainTestCheckpoint } from "./testing/checkpoints.js";

/**
 * The promotion check: on the same window, checkpoint and config, a replay (the trader against an exchange simulated
 * from the candles, bar by bar, journal on) makes exactly the backtest's decisions and fills and ends at the same
 * value. On the embedded market with the article's env (few trades) and with the exposure preset (research
 * features, look-back 4, next-open fills with slippage: it trades on most bars), with and without risk limits.
 */
const dir = mkdtempSync(join(tmpdir(), "replay-parity-"));
const H = 3_600_000;
// Two weeks of decisions after two weeks of history, as a CSV both runs read (short, to keep the test fast).
const embedded = loadEmbeddedMarket();
const csv = join(dir, "market.csv");
writeCandlesCsv(csv, sliceCandles(embedded, indexAtOrAfter(embedded, Date.parse("2021-02-15")), indexAtOrAfter(embedded, Date.parse("2021-03-15"))));
const market = readCandlesCsv(csv, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" }).candles;
const WINDOW = { start: "2021-03-01", end: "2021-03-15" };
let seedCk: string;
let exposureCk: string;

beforeAll(async () => {
  seedCk = await trainTestCheckpoint(dir, "seed");
  exposureCk = await trainTestCheckpoint(dir, "exposure");
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function backtest(ck: string, risk: RiskLimitsInput | null): Promise<BacktestTrace> {
  const lp = await loadAgentPolicy(ck);
  let model = backtestModel(market, lp.env, WINDOW);
  if (risk !== null) model = withOrderFilter(model, backtestRiskFilter(model, resolveRiskLimits(risk), H));
  return runBacktest(model, lp.makePolicy("greedy"));
}

async function replay(ck: string, risk: RiskLimitsInput | "off", name: string) {
  const journal = join(dir, `${name}.db`);
  const out = await runTradeJob(replayJobOptions({
    checkpoint: ck,
    replay: { data: csv, ...WINDOW, tickMs: 0 },
    journal,
    risk,
  }));
  const j = Journal.openReadOnly(journal);
  const decisions = j.db.prepare<unknown[]>("SELECT bar_ts, action, side, spend, amount FROM decisions ORDER BY bar_ts").all() as { bar_ts: number; action: number; side: string | null }[];
  const orders = j.orders();
  j.close();
  return { out, decisions, orders };
}

function compare(trace: BacktestTrace, r: Awaited<ReturnType<typeof replay>>): { trades: number } {
  const { out, decisions, orders } = r;
  // Same decisions, bar by bar.
  expect(decisions.length).toBe(trace.steps);
  for (let t = 0; t < trace.steps; t++) {
    expect(decisions[t]!.bar_ts).toBe(trace.timestamp[t]);
    expect(decisions[t]!.action).toBe(trace.action[t]);
    expect(decisions[t]!.side ?? "hold").toBe(trace.side[t] === 1 ? "buy" : trace.side[t] === -1 ? "sell" : "hold");
  }
  // Same fills: one order per traded step, at the backtest's fill price, moving the same coins and cash.
  const traded = [...Array(trace.steps).keys()].filter((t) => trace.side[t] !== 0);
  expect(orders.length).toBe(traded.length);
  traded.forEach((t, k) => {
    const o = orders[k]!;
    expect(o.status).toBe("closed");
    expect(o.average).toBe(trace.fillPrice[t]);
    expect(o.coinsDelta).toBe(trace.coins[t + 1]! - trace.coins[t]!);
    expect(o.cashDelta).toBe(trace.cash[t + 1]! - trace.cash[t]!);
  });
  // Same final value (to 1e-9; in fact bit for bit) and the same return.
  const final = trace.value[trace.steps]!;
  expect(Math.abs(out.summary.finalValue! - final)).toBeLessThanOrEqual(1e-9 * final);
  expect(out.summary.firstValue).toBe(trace.value[0]);
  expect(out.json).toMatchObject({ mode: "replay", trades: traded.length, ticks: trace.steps, stoppedBy: "end" });
  return { trades: traded.length };
}

describe("replay parity with the backtest", () => {
  it("the article's env on the embedded market: same decisions, fills and final value", async () => {
    const trace = await backtest(seedCk, null);
    const { trades } = compare(trace, await replay(seedCk, "off", "seed"));
    expect(trades).toBeGreaterThan(0);
  });

  it("--replay embedded: the whole embedded market before the window (more than --history-bars), the article's features", async () => {
    // The trader warms up on the last 1,001 bars and computes the features on their 2-row context; the backtest
    // sees all 3,624 bars before the window.
    const win = { start: "2021-06-01", end: "2021-06-08" };
    const lp = await loadAgentPolicy(seedCk);
    const trace = runBacktest(backtestModel(embedded, lp.env, win), lp.makePolicy("greedy"));
    const journal = join(dir, "embedded.db");
    const out = await runTradeJob(replayJobOptions({ checkpoint: seedCk, replay: { data: null, ...win, tickMs: 0 }, journal, risk: "off" }));
    const j = Journal.openReadOnly(journal);
    const decisions = j.db.prepare<unknown[]>("SELECT bar_ts, action, side, spend, amount FROM decisions ORDER BY bar_ts").all() as { bar_ts: number; action: number; side: string | null }[];
    const orders = j.orders();
    j.close();
    expect(indexAtOrAfter(embedded, Date.parse(win.start))).toBeGreaterThan(3_000);
    const { trades } = compare(trace, { out, decisions, orders });
    expect(trades).toBeGreaterThan(0);
  });

  it("a market where the agent trades on most bars (exposure preset, next-open fills, slippage)", async () => {
    const trace = await backtest(exposureCk, null);
    const { trades } = compare(trace, await replay(exposureCk, "off", "exposure"));
    expect(trades).toBeGreaterThan(trace.steps / 4);
  });

  it("with risk limits on (the same risk filter in both): caps, a cooldown and an hourly order limit bind", async () => {
    const limits: RiskLimitsInput = { maxTradeFraction: 0.05, maxExposure: 0.6, cooldownMs: 2 * H, maxOrdersPerHour: 1, losingStreak: 2, losingStreakLockMs: 6 * H };
    const free = await backtest(exposureCk, null);
    const trace = await backtest(exposureCk, limits);
    // The limits change what the agent gets to do …
    expect(Array.from(trace.side)).not.toEqual(Array.from(free.side));
    // … and the replay does exactly the same.
    compare(trace, await replay(exposureCk, limits, "exposure-risk"));
  });
});
