/** The walk-forward table, as text for the console and as a report section with a per-fold figure. */
import { htmlTable, lineFigure, type PageSection } from "../charts/index.js";
import type { WalkForwardRow } from "../eval/walk-forward.js";
import { formatMetric, textTable } from "./format.js";

const day = (iso: string) => iso.slice(0, 10);

function cells(r: WalkForwardRow): string[] {
  return [
    String(r.fold),
    `${day(r.trainStart)} → ${day(r.testStart)}`,
    `${day(r.testStart)} → ${day(r.testEnd)}`,
    formatMetric("pct", r.agentReturn),
    formatMetric("pct", r.buyAndHoldReturn),
    formatMetric("pct", r.maCrossoverReturn),
    formatMetric("ratio", r.agentSharpe),
    formatMetric("ratio", r.buyAndHoldSharpe),
    `${Math.round(r.beatBuyAndHoldShare * r.runs)}/${r.runs}`,
  ];
}

const HEADER = ["fold", "train", "test", "agent return", "B&H return", "MA return", "agent Sharpe", "B&H Sharpe", "beat B&H"];

/** Totals over folds: the mean of each column and the folds where the agent beat buy-and-hold on average. */
function totals(rows: readonly WalkForwardRow[]): string[] {
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
  };
  const wins = rows.filter((r) => r.agentReturn > r.buyAndHoldReturn).length;
  return [
    "mean",
    "",
    `${rows.length} folds`,
    formatMetric("pct", mean(rows.map((r) => r.agentReturn))),
    formatMetric("pct", mean(rows.map((r) => r.buyAndHoldReturn))),
    formatMetric("pct", mean(rows.map((r) => r.maCrossoverReturn))),
    formatMetric("ratio", mean(rows.map((r) => r.agentSharpe))),
    formatMetric("ratio", mean(rows.map((r) => r.buyAndHoldSharpe))),
    `${wins}/${rows.length} folds`,
  ];
}

export function walkForwardText(rows: readonly WalkForwardRow[]): string {
  return textTable(HEADER, [...rows.map(cells), totals(rows)]);
}

export function walkForwardSections(rows: readonly WalkForwardRow[]): PageSection[] {
  const x = rows.map((r) => Date.parse(r.testStart));
  const fig = lineFigure(
    [
      { name: "agent (mean over seeds)", x, y: rows.map((r) => r.agentReturn * 100), color: "#1f77b4" },
      { name: "buy_and_hold", x, y: rows.map((r) => r.buyAndHoldReturn * 100), color: "#7f7f7f" },
      { name: "ma_crossover", x, y: rows.map((r) => r.maCrossoverReturn * 100), color: "#ff7f0e" },
    ],
    { title: "return of each test window (x: the window's start)", yTitle: "return (%)" },
  );
  const data = fig.data.map((t) => ({ ...t, mode: "lines+markers" }));
  return [
    {
      heading: "Walk-forward",
      html:
        "<p>Each fold trains on its own window only and is tested on the window right after it; the test windows tile the series. " +
        "A policy that only learned its training window shows up here as a string of folds below buy-and-hold.</p>" +
        htmlTable(HEADER, [...rows.map(cells), totals(rows)]),
    },
    { figure: { data, layout: fig.layout } },
  ];
}
