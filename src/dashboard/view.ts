/**
 * What the page shows, as plain JSON: `dashboardView` (the numbers, flags, tables; small, sent on every update)
 * and `dashboardFigures` (plotly figures built with the project's chart builders, src/charts; sent when the series
 * changed). Nothing secret goes in: the Redis URL is redacted, the token is never part of it (R20).
 */
import type { Figure, Trace } from "../charts/figure.js";
import { COLORS, baseLayout } from "../charts/figure.js";
import { lineFigure, markersTrace } from "../charts/series-figures.js";
import { GUIDANCE_KINDS } from "../bus/messages.js";
import { drawdownOf, metricsView, valuedPoints, type ArtefactLink, type MetricsView } from "./analytics.js";
import type { JournalInfo } from "./journal-source.js";
import type { DashboardModel, HealthView } from "./model.js";
import type { TraceView } from "./trace-view.js";

export interface ViewContext {
  /** The Redis URL without its password. */
  readonly redis: string;
  readonly namespace: string;
  readonly journal: JournalInfo | null;
  readonly reports: readonly ArtefactLink[];
  readonly checkpoints: readonly ArtefactLink[];
  readonly busCounters: Readonly<Record<string, number>>;
  readonly startedAt: number;
}

export interface DashboardView {
  readonly now: number;
  readonly meta: {
    readonly redis: string;
    readonly namespace: string;
    readonly journal: JournalInfo | null;
    readonly staleTicks: number;
    readonly startedAt: number;
  };
  readonly trader: {
    readonly seq: number | null;
    readonly ts: number | null;
    readonly receivedAt: number | null;
    readonly symbol: string | null;
    readonly mode: string | null;
    readonly model: string | null;
    readonly price: number | null;
    readonly action: string | null;
    readonly amount: number | null;
    readonly cash: number | null;
    readonly coins: number | null;
    readonly value: number | null;
    readonly exposure: number | null;
    readonly drawdown: number | null;
    readonly intervalMs: number | null;
    readonly status: string | null;
    readonly statusFrom: string | null;
    readonly traderId: string | null;
    /** value / buy-and-hold − 1 at the latest valued point (buy-and-hold of the first point's cash and coins). */
    readonly vsHold: number | null;
    readonly holdValue: number | null;
  };
  readonly risk: {
    readonly status: string | null;
    readonly stopReason: string | null;
    readonly entriesPaused: boolean | null;
    readonly maxTradeFraction: number | null;
    readonly maxExposure: number | null;
    readonly locks: ReadonlyArray<{ readonly reason: string; readonly until: number | null; readonly detail: string }>;
    readonly killSwitch: { readonly fired: boolean; readonly reason: string | null };
    readonly failedChecks: number | null;
    readonly source: string;
  };
  readonly coach: {
    readonly enabled: boolean | null;
    readonly coachId: string | null;
    readonly version: number | null;
    readonly cycles: number | null;
    readonly status: string | null;
    readonly llm: string | null;
    readonly inForce: ReadonlyArray<{ readonly kind: string; readonly value: number; readonly expiresAt: number; readonly id: string | null }>;
  };
  readonly health: HealthView;
  readonly counters: { readonly received: number; readonly rejected: number; readonly oldSeq: number; readonly lastRejection: string | null; readonly bus: Readonly<Record<string, number>> };
  readonly guidance: ReturnType<DashboardModel["guidanceEntries"]>;
  readonly traces: readonly TraceView[];
  readonly controls: ReturnType<DashboardModel["controlEntries"]>;
  readonly events: ReturnType<DashboardModel["eventEntries"]>;
  readonly analytics: { readonly metrics: MetricsView["rows"]; readonly note: string; readonly reports: readonly ArtefactLink[]; readonly checkpoints: readonly ArtefactLink[] };
}

export function dashboardView(model: DashboardModel, ctx: ViewContext, now: number, metrics: MetricsView): DashboardView {
  const st = model.latestState();
  const s = st?.message;
  const v1 = s?.form === "v1" ? s : null;
  const hb = model.latestHeartbeat()?.message ?? null;
  const status = model.traderStatus();
  const risk = model.riskSnapshot();
  const cb = model.latestCoachHeartbeat()?.message ?? null;
  const pts = valuedPoints(model.series());
  const first = pts[0];
  const last = pts.at(-1);
  const holdValue = first !== undefined && last !== undefined ? first.cash + first.coins * last.price : null;
  const riskStatus = status?.status ?? risk?.status ?? null;
  const stopReason = risk?.stopReason ?? null;
  const locks = v1?.locks !== undefined && (risk === null || (st !== null && st.receivedAt >= risk.readAt)) ? v1.locks.map((l) => ({ reason: l.reason, until: l.until, detail: "" })) : (risk?.locks ?? []);
  return {
    now,
    meta: { redis: ctx.redis, namespace: ctx.namespace, journal: ctx.journal, staleTicks: model.staleTicks, startedAt: ctx.startedAt },
    trader: {
      seq: v1?.seq ?? null,
      ts: v1?.ts ?? null,
      receivedAt: st?.receivedAt ?? null,
      symbol: v1?.symbol ?? ctx.journal?.symbol ?? null,
      mode: v1?.mode ?? hb?.mode ?? ctx.journal?.mode ?? null,
      model: v1?.model ?? null,
      price: s?.price ?? last?.price ?? null,
      action: s?.action ?? null,
      amount: s?.amount ?? null,
      cash: v1?.portfolio?.cash ?? last?.cash ?? null,
      coins: v1?.portfolio?.coins ?? last?.coins ?? null,
      value: v1?.portfolio?.value ?? last?.value ?? null,
      exposure: v1?.exposure ?? (last === undefined ? null : (last.coins * last.price) / last.value),
      drawdown: v1?.drawdown ?? null,
      intervalMs: model.barIntervalMs(),
      status: status?.status ?? null,
      statusFrom: status?.from ?? null,
      traderId: hb?.traderId ?? ctx.journal?.runId ?? null,
      vsHold: holdValue !== null && last !== undefined && holdValue > 0 ? last.value / holdValue - 1 : null,
      holdValue,
    },
    risk: {
      status: riskStatus,
      stopReason: riskStatus === "stopped" ? stopReason : null,
      entriesPaused: risk?.entriesPaused ?? (riskStatus === null ? null : riskStatus === "stopentry"),
      maxTradeFraction: risk?.maxTradeFraction ?? null,
      maxExposure: risk?.maxExposure ?? null,
      locks,
      killSwitch: { fired: riskStatus === "stopped" && stopReason !== null && /kill switch/i.test(stopReason), reason: riskStatus === "stopped" ? stopReason : null },
      failedChecks: risk?.failedChecks ?? null,
      source: risk === null ? "ppo_state and acknowledgements (no journal)" : "the journal's risk state, newer messages over it",
    },
    coach: {
      enabled: model.isCoachEnabled(),
      coachId: cb?.coachId ?? null,
      version: cb?.version ?? null,
      cycles: cb?.cycles ?? null,
      status: cb?.status ?? null,
      llm: cb?.llm ?? null,
      inForce: (v1?.guidance ?? []).map((g) => ({ kind: g.guidance, value: g.value, expiresAt: g.expiresAt, id: g.id })),
    },
    health: model.health(now),
    counters: { ...model.counters, bus: ctx.busCounters },
    guidance: model.guidanceEntries().slice(-100),
    traces: model.traceViews().slice(-10),
    controls: model.controlEntries().slice(-30),
    events: model.eventEntries().slice(-100),
    analytics: { metrics: metrics.rows, note: metrics.note, reports: ctx.reports, checkpoints: ctx.checkpoints },
  };
}

export interface DashboardFigures {
  readonly equity: Figure;
  readonly price: Figure;
  readonly holdings: Figure;
  readonly drawdown: Figure;
  readonly guidance: Figure;
}

/** Keeps zoom and legend toggles across updates (plotly's uirevision), and a compact height. */
function live(fig: Figure, height = 300): Figure {
  return { data: fig.data, layout: { ...fig.layout, height, uirevision: "keep", margin: { l: 64, r: 56, t: 28, b: 40 } } };
}

/** The figures drawn from the series (rebuilt when it changes). */
export type SeriesFigures = Omit<DashboardFigures, "guidance">;

export function dashboardFigures(model: DashboardModel): DashboardFigures {
  return { ...seriesFigures(model), guidance: guidanceFigure(model) };
}

export function seriesFigures(model: DashboardModel): SeriesFigures {
  const all = model.series();
  const pts = valuedPoints(all);
  const x = pts.map((p) => p.ts);
  const value = pts.map((p) => p.value);
  const first = pts[0];
  const hold = first === undefined ? [] : pts.map((p) => first.cash + first.coins * p.price);
  const equity = lineFigure(
    [
      { name: "trader", x, y: value, color: COLORS.neutral, width: 2 },
      { name: "buy & hold (starting mix)", x, y: hold, color: "#8d6e63", dash: "dot" },
    ],
    { yTitle: "value (quote)", xType: "date" },
  );

  const trades = model.tradeMarks();
  const buys = trades.filter((t) => t.side === "buy");
  const sells = trades.filter((t) => t.side === "sell");
  const label = (t: (typeof trades)[number]) => `${t.side} ${t.coins === null ? "" : `${t.coins.toPrecision(4)} coins `}at ${t.price.toFixed(2)} (${t.source})`;
  const priceLine = lineFigure([{ name: "price", x: all.map((p) => p.ts), y: all.map((p) => p.price), color: "#455a64" }], { yTitle: "price", xType: "date" });
  const price: Figure = {
    data: [
      ...priceLine.data,
      markersTrace({ name: "buy", kind: "buy", x: buys.map((t) => t.ts), y: buys.map((t) => t.price), text: buys.map(label) }),
      markersTrace({ name: "sell", kind: "sell", x: sells.map((t) => t.ts), y: sells.map((t) => t.price), text: sells.map(label) }),
    ],
    layout: priceLine.layout,
  };

  const holdingsBase = baseLayout({ yTitle: "quote" });
  const holdings: Figure = {
    data: [
      { type: "scatter", mode: "lines", name: "cash", x, y: pts.map((p) => p.cash), stackgroup: "v", line: { width: 0.5, color: "#90a4ae" } },
      { type: "scatter", mode: "lines", name: "coins (valued)", x, y: pts.map((p) => p.coins * p.price), stackgroup: "v", line: { width: 0.5, color: "#ffb300" } },
      { type: "scatter", mode: "lines", name: "exposure (%)", x, y: pts.map((p) => (100 * p.coins * p.price) / p.value), yaxis: "y2", line: { width: 1.5, color: "#6a1b9a" } },
    ],
    layout: { ...holdingsBase, yaxis2: { overlaying: "y", side: "right", range: [0, 100], showgrid: false, title: { text: "exposure (%)" } } },
  };

  const ddTrader = Array.from(drawdownOf(value), (d) => -100 * d);
  const ddHold = Array.from(drawdownOf(hold), (d) => -100 * d);
  const drawdown: Figure = {
    data: [
      { type: "scatter", mode: "lines", name: "trader", x, y: ddTrader, fill: "tozeroy", line: { width: 1.5, color: COLORS.sell } },
      { type: "scatter", mode: "lines", name: "buy & hold", x, y: ddHold, line: { width: 1, color: "#8d6e63", dash: "dot" } },
    ],
    layout: baseLayout({ yTitle: "drawdown (%)" }),
  };

  return { equity: live(equity), price: live(price), holdings: live(holdings), drawdown: live(drawdown, 240) };
}

/** The coach's guidance as segments from issue to expiry, one row per kind, the value and reason on hover. */
export function guidanceFigure(model: DashboardModel): Figure {
  const entries = model.guidanceEntries();
  const colors: Record<string, string> = { adjust_risk: "#ef6c00", size: "#1565c0", timing: "#2e7d32" };
  const traces: Trace[] = GUIDANCE_KINDS.map((kind) => {
    const xs: Array<number | null> = [];
    const ys: Array<string | null> = [];
    const texts: Array<string | null> = [];
    for (const g of entries) {
      if (g.kind !== kind) continue;
      const from = g.issuedAt ?? g.receivedAt;
      const to = g.expiresAt ?? from;
      const t = `${kind} = ${g.value}${g.version === null ? "" : ` (v${g.version})`}: ${g.reason ?? ""}${g.verdict === null ? "" : ` [trader: ${g.verdict}]`}`;
      xs.push(from, to, null);
      ys.push(kind, kind, null);
      texts.push(t, t, null);
    }
    return { type: "scatter", mode: "lines+markers", name: kind, x: xs, y: ys, text: texts, hoverinfo: "text+x", line: { width: 6, color: colors[kind] ?? COLORS.neutral }, marker: { size: 7 } };
  });
  const layout = baseLayout({});
  const empty = entries.length === 0 ? { annotations: [{ text: "no guidance yet", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { color: "#78909c", size: 14 } }], xaxis: { ...(layout["xaxis"] as object), visible: false } } : {};
  return { data: traces, layout: { ...layout, ...empty, height: 200, uirevision: "keep", margin: { l: 90, r: 24, t: 16, b: 36 }, yaxis: { ...(layout["yaxis"] as object), type: "category", categoryarray: [...GUIDANCE_KINDS] }, hovermode: "closest" } };
}
