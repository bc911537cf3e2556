import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHECKPOINT_FORMAT } from "../agent/checkpoint.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { withOrderFilter } from "../env/order-filter.js";
import { loadAgentPolicy } from "../eval/agent-policy.js";
import { backtestModel, runBacktest } from "../eval/backtest.js";
import { computeMetrics } from "../eval/metrics.js";
import { replayJobOptions, runTradeJob } from "../jobs/trade-job.js";
import { trainTestCheckpoint } from "../live/testing/checkpoints.js";
import { resolveRiskLimits } from "../trading/risk/risk-config.js";
import { backtestRiskFilter } from "../trading/risk/risk-filter.js";
import { equityRecordOf, listCheckpoints, listReports, metricsView } from "./analytics.js";
import { JournalSource } from "./journal-source.js";
import { DashboardModel, type SeriesPoint } from "./model.js";

const H = 3_600_000;
const pt = (i: number, price: number, cash: number, coins: number, extra: Partial<SeriesPoint> = {}): SeriesPoint => ({
  ts: (i + 1) * H,
  price,
  cash,
  coins,
  value: cash + coins * price,
  executed: false,
  turnedIntoHold: false,
  notional: 0,
  fee: 0,
  source: "journal",
  ...extra,
});

describe("analytics: the trader's series as the evaluation module's equity record", () => {
  // Hand-worked: a buy of 500 (fee 1) at the first tick, then the price rises 10 % and falls to 99.
  const points = [pt(0, 100, 1000, 0, { executed: true, notional: 500, fee: 1 }), pt(1, 110, 500, 4.99), pt(2, 99, 500, 4.99, { turnedIntoHold: true })];

  it("maps points to value, buy-and-hold, exposure held during each step, trades and fees", () => {
    const rec = equityRecordOf(points, H)!;
    expect(Array.from(rec.value)).toEqual([1000, 500 + 4.99 * 110, 500 + 4.99 * 99]);
    // Buy-and-hold keeps the first point's 1000 cash and 0 coins.
    expect(Array.from(rec.holdValue)).toEqual([1000, 1000, 1000]);
    // Step 0 holds the coins bought at point 0 (point 1's balances), valued at point 0's close.
    expect(rec.exposure[0]).toBeCloseTo((4.99 * 100) / (500 + 4.99 * 100), 12);
    expect(rec.exposure[1]).toBeCloseTo((4.99 * 110) / 1048.9, 12);
    expect(Array.from(rec.executed)).toEqual([1, 0]);
    expect(Array.from(rec.tradedNotional)).toEqual([500, 0]);
    expect(Array.from(rec.fees)).toEqual([1, 0]);
    // The last point's "held" has no step of its own.
    expect(Array.from(rec.turnedIntoHold)).toEqual([0, 0]);
    expect(rec.periodMs).toBe(H);
  });

  it("gives the evaluation module's metrics on it (hand-checked figures)", () => {
    const v = metricsView(points, H);
    const m = v.metrics!;
    expect(m.steps).toBe(2);
    expect(m.totalReturn).toBeCloseTo(994.01 / 1000 - 1, 12);
    expect(m.buyAndHoldReturn).toBe(0);
    expect(m.maxDrawdown).toBeCloseTo(1 - 994.01 / 1048.9, 12);
    expect(m.trades).toBe(1);
    expect(m.feesPaid).toBe(1);
    expect(m.averageExposure).toBeCloseTo((499 / 999 + (4.99 * 110) / 1048.9) / 2, 12);
    expect(v.rows.find((r) => r.field === "totalReturn")!.text).toBe("-0.60%");
  });

  it("skips points without a portfolio and needs two valued points", () => {
    const noPortfolio: SeriesPoint = { ...pt(5, 120, 0, 0), cash: null, coins: null, value: null, source: "state" };
    expect(equityRecordOf([points[0]!, noPortfolio], H)).toBeNull();
    expect(metricsView([points[0]!], H).metrics).toBeNull();
    expect(metricsView(points, null).note).toMatch(/interval/);
    expect(equityRecordOf([...points, noPortfolio], H)!.value.length).toBe(3);
  });
});

describe("analytics: links to the project's reports and checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "dash-artefacts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists only the project's own artefacts, with their descriptions and safe names", () => {
    const reports = join(dir, "reports");
    const cks = join(dir, "checkpoints");
    mkdirSync(join(reports, "run-a"), { recursive: true });
    writeFileSync(join(reports, "run-a", "summary.json"), JSON.stringify({ title: "Run A", provenance: { createdAt: "2024-01-01T00:00:00Z" } }));
    writeFileSync(join(reports, "run-a", "report.html"), "<html></html>");
    mkdirSync(join(reports, "not-ours"));
    writeFileSync(join(reports, "not-ours", "summary.json"), JSON.stringify({ something: 1 }));
    mkdirSync(join(reports, ".hidden"));
    mkdirSync(join(cks, "main"), { recursive: true });
    writeFileSync(join(cks, "main", "manifest.json"), JSON.stringify({ format: CHECKPOINT_FORMAT, createdAt: "2024-01-02", training: { updates: 4, numUpdates: 4, status: "complete" } }));
    mkdirSync(join(cks, "junk"));
    writeFileSync(join(cks, "junk", "manifest.json"), "{not json");

    const r = listReports(reports);
    expect(r.map((x) => x.name)).toEqual(["run-a"]);
    expect(r[0]!.href).toBe("/files/reports/run-a/report.html");
    expect(r[0]!.description).toMatch(/Run A/);
    const c = listCheckpoints(cks);
    expect(c.map((x) => x.name)).toEqual(["main"]);
    expect(c[0]!.href).toBe("/files/checkpoints/main/manifest.json");
    expect(c[0]!.description).toMatch(/4\/4 updates/);
    expect(listReports(join(dir, "absent"))).toEqual([]);
  });
});

describe("analytics: a replay's journal gives the backtest's metrics", () => {
  const dir = mkdtempSync(join(tmpdir(), "dash-parity-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every metric equal, on the same checkpoint, window and risk limits (the replay makes the backtest's fills)", async () => {
    const ck = await trainTestCheckpoint(dir, "exposure");
    const window = { start: "2021-03-01", end: "2021-03-08" };
    const lp = await loadAgentPolicy(ck);
    const base = backtestModel(loadEmbeddedMarket(), lp.env, window);
    const trace = runBacktest(withOrderFilter(base, backtestRiskFilter(base, resolveRiskLimits("standard"), H)), lp.makePolicy("greedy"));
    const journal = join(dir, "replay.db");
    await runTradeJob(replayJobOptions({ checkpoint: ck, replay: { data: null, ...window, tickMs: 0 }, journal, risk: "standard" }));
    const model = new DashboardModel();
    const source = new JournalSource(journal, model);
    source.poll(Date.now());
    source.close();
    const fromJournal = metricsView(model.series(), H).metrics!;
    const fromBacktest = computeMetrics(trace);
    expect(fromBacktest.trades).toBeGreaterThan(10);
    expect(fromJournal).toEqual(fromBacktest);
  }, 120_000);
});
