/**
 * The run's analytics: the evaluation module's metrics (src/eval/metrics.ts computeMetrics, not a second
 * implementation) over the trader's equity series, against buy-and-hold of its starting mix; and the artefacts
 * a researcher links to: the reports under reports/ and the checkpoints with their manifests.
 *
 * The series → EquityRecord mapping (docs/dashboard.md): point t is the decision at bar close t with the balances
 * before its order, so value[t] is point t's value, step t runs from point t to point t + 1, and the order of
 * decision t is traded in step t (executed, notional, fees, turned into a hold, of point t). The coins held through
 * step t are those of point t + 1 (the balances after decision t's order), valued at decision t's close as the
 * backtest does. Buy-and-hold keeps the first point's cash and coins: holdValue[t] = cash₀ + coins₀ · price[t].
 * On a replay's journal this gives the backtest's metrics exactly (src/dashboard/analytics.test.ts).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describeCheckpoint } from "../agent/checkpoint.js";
import { computeMetrics, drawdowns, METRIC_FIELDS, type BacktestMetrics, type EquityRecord } from "../eval/metrics.js";
import { describeReport } from "../report/run-report.js";
import { formatMetric, METRIC_LABELS, METRIC_UNITS } from "../report/format.js";
import type { SeriesPoint } from "./model.js";

/** Points with a known portfolio (value, cash and coins), in time order. */
export function valuedPoints(points: readonly SeriesPoint[]): Array<SeriesPoint & { value: number; cash: number; coins: number }> {
  return points.filter((p): p is SeriesPoint & { value: number; cash: number; coins: number } => p.value !== null && p.cash !== null && p.coins !== null && p.value > 0);
}

/** The equity record of the series (null with fewer than two valued points). */
export function equityRecordOf(points: readonly SeriesPoint[], periodMs: number): EquityRecord | null {
  const pts = valuedPoints(points);
  if (pts.length < 2) return null;
  const n = pts.length - 1;
  const value = new Float64Array(n + 1);
  const holdValue = new Float64Array(n + 1);
  const { cash: cash0, coins: coins0 } = pts[0]!;
  for (let t = 0; t <= n; t++) {
    value[t] = pts[t]!.value;
    holdValue[t] = cash0 + coins0 * pts[t]!.price;
  }
  const exposure = new Float64Array(n);
  const executed = new Uint8Array(n);
  const turnedIntoHold = new Uint8Array(n);
  const tradedNotional = new Float64Array(n);
  const fees = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const p = pts[t]!;
    const next = pts[t + 1]!;
    // Held through step t: the balances after decision t's order (point t + 1's), valued at the decision's close.
    const held = next.coins * p.price;
    exposure[t] = held / (next.cash + held);
    executed[t] = p.executed ? 1 : 0;
    turnedIntoHold[t] = p.turnedIntoHold ? 1 : 0;
    tradedNotional[t] = p.notional;
    fees[t] = p.fee;
  }
  return { value, holdValue, exposure, executed, turnedIntoHold, tradedNotional, fees, periodMs };
}

export interface MetricsView {
  readonly metrics: BacktestMetrics | null;
  /** label, formatted value, field, in METRIC_FIELDS order. */
  readonly rows: ReadonlyArray<{ readonly field: string; readonly label: string; readonly text: string }>;
  readonly steps: number;
  readonly note: string;
}

export function metricsView(points: readonly SeriesPoint[], periodMs: number | null): MetricsView {
  if (periodMs === null) return { metrics: null, rows: [], steps: 0, note: "no bar interval known yet" };
  const rec = equityRecordOf(points, periodMs);
  if (rec === null) return { metrics: null, rows: [], steps: 0, note: "metrics need two valued ticks" };
  const m = computeMetrics(rec);
  const rows = METRIC_FIELDS.map((f) => ({ field: f, label: METRIC_LABELS[f], text: formatMetric(METRIC_UNITS[f], m[f]) }));
  return { metrics: m, rows, steps: m.steps, note: `${m.steps} ticks, the evaluation module's metrics (docs/evaluation.md); buy-and-hold keeps the first tick's cash and coins` };
}

/** Drawdown of each value from its running peak (the evaluation module's series), aligned with `values`. */
export function drawdownOf(values: readonly number[]): Float64Array {
  return drawdowns(values).series;
}

export interface ArtefactLink {
  /** The folder's name (a direct child of reports/ or checkpoints/). */
  readonly name: string;
  /** What it is, from its own files (describeReport / describeCheckpoint). */
  readonly description: string;
  /** The dashboard's URL of its main file. */
  readonly href: string;
  readonly modifiedAt: number;
}

/** Names the file routes accept: one path segment, no dots at the start (no "..", no hidden files). */
export const ARTEFACT_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function children(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir).filter((n) => ARTEFACT_NAME.test(n));
  } catch {
    return [];
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The project's reports under `dir` (folders with the project's summary.json), newest first. */
export function listReports(dir: string, limit = 50): ArtefactLink[] {
  const out: ArtefactLink[] = [];
  for (const name of children(dir)) {
    const d = join(dir, name);
    const description = describeReport(d);
    if (description === null) continue;
    const file = existsSync(join(d, "report.html")) ? "report.html" : "summary.json";
    out.push({ name, description, href: `/files/reports/${encodeURIComponent(name)}/${file}`, modifiedAt: mtime(join(d, file)) });
  }
  return out.sort((a, b) => b.modifiedAt - a.modifiedAt).slice(0, limit);
}

/** The project's checkpoints under `dir` (folders with its manifest.json), newest first; links go to the manifest. */
export function listCheckpoints(dir: string, limit = 50): ArtefactLink[] {
  const out: ArtefactLink[] = [];
  for (const name of children(dir)) {
    const d = join(dir, name);
    const description = describeCheckpoint(d);
    if (description === null) continue;
    out.push({ name, description, href: `/files/checkpoints/${encodeURIComponent(name)}/manifest.json`, modifiedAt: mtime(join(d, "manifest.json")) });
  }
  return out.sort((a, b) => b.modifiedAt - a.modifiedAt).slice(0, limit);
}

/** The files the dashboard serves from those folders, and their content types. */
export const SERVED_FILES: Readonly<Record<"reports" | "checkpoints", Readonly<Record<string, string>>>> = {
  reports: { "report.html": "text/html; charset=utf-8", "summary.json": "application/json; charset=utf-8" },
  checkpoints: { "manifest.json": "application/json; charset=utf-8" },
};
