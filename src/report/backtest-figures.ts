/** The figures of one backtest window: equity against the baselines, trades over the price, coins held, drawdown. */
import {
  COLORS,
  drawdownFigure,
  lineFigure,
  markersTrace,
  withLayout,
  withTraces,
  type Figure,
  type LineSeries,
  type Trace,
} from "../charts/index.js";
import type { BacktestTrace } from "../eval/backtest.js";

/**
 * Room between a figure's title and its legend: the shared layout puts a horizontal legend just above the plot,
 * where a one-line title also sits. Applied to every figure of a report or a notebook.
 */
export function clearTitle(fig: Figure): Figure {
  if (fig.layout["title"] === undefined) return fig;
  const t = Number((fig.layout["margin"] as { t?: number } | undefined)?.t ?? 0);
  return withLayout(fig, { margin: { t: Math.max(88, t) }, title: { y: 0.985, yanchor: "top" } });
}

/** Colours by strategy name, so that a strategy looks the same in every figure. */
const STRATEGY_COLORS: Readonly<Record<string, string>> = {
  agent: "#1f77b4",
  buy_and_hold: "#7f7f7f",
  random: "#bcbd22",
  perfect_foresight: "#9467bd",
};

export function strategyColor(name: string): string {
  if (name.startsWith("ma_crossover")) return "#ff7f0e";
  return STRATEGY_COLORS[name] ?? STRATEGY_COLORS[name.split(" ")[0] ?? ""] ?? COLORS.neutral;
}

export interface EquityFigureInput {
  /** Strategies drawn as full lines, first = the one the report is about. */
  readonly runs: readonly BacktestTrace[];
  /** Other seeds of the agent, drawn thin and pale. */
  readonly extraRuns?: readonly BacktestTrace[];
  /** Names of runs shown only in the legend at first (click to show): e.g. the perfect-foresight bound. */
  readonly hiddenNames?: readonly string[];
  readonly title?: string;
}

/** Portfolio value of every run over time (USD). */
export function equityFigure(input: EquityFigureInput): Figure {
  const series: LineSeries[] = [
    ...(input.extraRuns ?? []).map((r) => ({ name: r.name, x: r.timestamp, y: r.value, color: "#aec7e8", width: 0.8 })),
    ...input.runs.map((r) => ({ name: r.name, x: r.timestamp, y: r.value, color: strategyColor(r.name), width: r === input.runs[0] ? 2 : 1.3 })),
  ];
  const fig = lineFigure(series, { title: input.title ?? "portfolio value", yTitle: "value (USD)" });
  const hidden = new Set(input.hiddenNames ?? []);
  const extra = input.extraRuns?.length ?? 0;
  const data: Trace[] = fig.data.map((t, i) =>
    i < extra ? { ...t, showlegend: i === 0, legendgroup: "seeds", name: i === 0 ? "other seeds" : String(t.name) } : hidden.has(String(t.name)) ? { ...t, visible: "legendonly" } : t,
  );
  return clearTitle({ data, layout: fig.layout });
}

/** At most `max` of the trades, evenly spread, so that a policy trading every hour still draws quickly. */
function thin(indices: number[], max: number): number[] {
  if (indices.length <= max) return indices;
  const step = indices.length / max;
  return Array.from({ length: max }, (_, k) => indices[Math.floor(k * step)]!);
}

/** The close with the run's buys and sells marked at their fill prices (decision bars' times). */
export function tradesFigure(run: BacktestTrace, maxMarkers = 1500): Figure {
  const buys: number[] = [];
  const sells: number[] = [];
  for (let t = 0; t < run.steps; t++) {
    if (run.side[t] === 1) buys.push(t);
    else if (run.side[t] === -1) sells.push(t);
  }
  const shownBuys = thin(buys, maxMarkers);
  const shownSells = thin(sells, maxMarkers);
  const note = shownBuys.length < buys.length || shownSells.length < sells.length ? ` (${shownBuys.length + shownSells.length} of ${buys.length + sells.length} trades shown)` : "";
  const fig = lineFigure([{ name: "close", x: run.timestamp, y: run.price, color: "#455a64", width: 1 }], {
    title: `${run.name}: trades over the price${note}`,
    yTitle: "price (USD)",
  });
  const marker = (idx: number[], kind: "buy" | "sell"): Trace =>
    markersTrace({
      name: `${kind} (${kind === "buy" ? buys.length : sells.length})`,
      kind,
      size: 7,
      x: idx.map((t) => run.timestamp[t]!),
      y: idx.map((t) => run.fillPrice[t]!),
      text: idx.map((t) => `${kind} ${Math.abs(run.coins[t + 1]! - run.coins[t]!).toPrecision(4)} coins at ${run.fillPrice[t]!.toFixed(2)}`),
    });
  return clearTitle(withTraces(fig, marker(shownBuys, "buy"), marker(shownSells, "sell")));
}

/** Coins held after each step, and the coin share of the value on the right axis. */
export function holdingsFigure(run: BacktestTrace): Figure {
  const share = new Float64Array(run.steps + 1);
  for (let t = 0; t <= run.steps; t++) {
    const v = run.value[t]!;
    share[t] = v > 0 ? ((run.coins[t]! * run.price[t]!) / v) * 100 : 0;
  }
  return clearTitle(lineFigure(
    [
      { name: "coins held", x: run.timestamp, y: run.coins, color: strategyColor(run.name), width: 1.5 },
      { name: "coin share of value (%)", x: run.timestamp, y: share, color: "#ff9896", width: 1, rightAxis: true },
    ],
    { title: `${run.name}: coins held`, yTitle: "coins", y2Title: "share of value (%)" },
  ));
}

/** Drawdown from the running peak of each run, in percent. */
export function drawdownsFigure(runs: readonly BacktestTrace[]): Figure {
  return clearTitle(
    drawdownFigure(
      runs.map((r) => ({ name: r.name, x: r.timestamp, value: r.value, color: strategyColor(r.name) })),
      { title: "drawdown from the running peak" },
    ),
  );
}
