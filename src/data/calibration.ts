import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Candles } from "./candles.js";
import { marketStats, type MarketStats } from "./market-stats.js";
import { selectRange } from "./splits.js";
import { generateSyntheticMarket, type SyntheticMarketConfigInput } from "./synthetic.js";
import { calendarYears, tradingStats, type TradingStats } from "./trading-stats.js";

/**
 * The calibration of the embedded market against real BTC years: which figures are compared (one row each),
 * the real years' figures (a committed fixture computed from ../shared/data/btc_usd_1h.csv, so that no test and
 * no doc needs the real file), and the Markdown tables of docs/market.md. `npm run market-calibration`
 * regenerates the tables; src/data/calibration.test.ts checks that the committed docs hold exactly what this
 * code computes.
 */

export interface CalibrationRow {
  /** Stable key (fixture field). */
  readonly key: string;
  /** Row label in the table. */
  readonly label: string;
  /** An "edge" row measures how predictable the direction is, or what simple rules earn by timing. */
  readonly edge: boolean;
  readonly value: (s: TradingStats) => number;
  readonly digits: number;
}

const row = (key: string, label: string, edge: boolean, digits: number, value: (s: TradingStats) => number): CalibrationRow => ({ key, label, edge, value, digits });

/** The rows of the calibration table, in order (definitions in src/data/trading-stats.ts). */
export const CALIBRATION_ROWS: readonly CalibrationRow[] = [
  row("bhLogReturn", "buy-and-hold log return", false, 2, (s) => s.buyAndHoldLogReturn),
  row("annualisedVol", "annualised volatility", false, 2, (s) => s.annualisedVol),
  row("skew", "skew", false, 2, (s) => s.skew),
  row("excessKurtosis", "excess kurtosis", false, 1, (s) => s.excessKurtosis),
  row("tail3", "share of hours beyond 3σ", false, 4, (s) => s.tailShare3Sigma),
  row("acf1", "ACF r, lag 1", true, 3, (s) => s.acfReturn[0]!),
  row("acf2", "ACF r, lag 2", true, 3, (s) => s.acfReturn[1]!),
  row("acf3", "ACF r, lag 3", true, 3, (s) => s.acfReturn[2]!),
  row("acf6", "ACF r, lag 6", true, 3, (s) => s.acfReturn[3]!),
  row("acf12", "ACF r, lag 12", true, 3, (s) => s.acfReturn[4]!),
  row("acf24", "ACF r, lag 24", true, 3, (s) => s.acfReturn[5]!),
  row("acf168", "ACF r, lag 168", true, 3, (s) => s.acfReturn[6]!),
  row("acfDaily1", "ACF daily r, lag 1", true, 3, (s) => s.acfDailyReturnLag1),
  row("vr6", "variance ratio, 6 h", true, 2, (s) => s.varianceRatio[0]!),
  row("vr24", "variance ratio, 24 h", true, 2, (s) => s.varianceRatio[1]!),
  row("vr168", "variance ratio, 168 h", true, 2, (s) => s.varianceRatio[2]!),
  row("absAcf1", "ACF \\|r\\|, lag 1", false, 3, (s) => s.acfAbsReturn[0]),
  row("absAcf24", "ACF \\|r\\|, lag 24", false, 3, (s) => s.acfAbsReturn[1]),
  row("absAcf168", "ACF \\|r\\|, lag 168", false, 3, (s) => s.acfAbsReturn[2]),
  row("maxDrawdown", "max drawdown", false, 2, (s) => s.maxDrawdown),
  row("maTimingIr", "MA(24,168): timing IR", true, 2, (s) => s.maCrossover.timingIr),
  row("maExcess", "MA(24,168): log return − B&H", true, 2, (s) => s.maCrossover.logReturn - s.buyAndHoldLogReturn),
  row("maPairsMedianIr", "30 MA pairs: median timing IR", true, 2, (s) => s.maPairs.medianTimingIr),
  row("maPairsPositive", "30 MA pairs: share with IR > 0", true, 2, (s) => s.maPairs.positiveShare),
  row("maPairsBestIr", "30 MA pairs: best timing IR", true, 2, (s) => s.maPairs.maxTimingIr),
  row("momentumMedianIr", "6 momentum rules: median timing IR", true, 2, (s) => s.momentum.medianTimingIr),
  row("momentumPositive", "6 momentum rules: share with IR > 0", true, 2, (s) => s.momentum.positiveShare),
];

export type CalibrationValues = Readonly<Record<string, number>>;

export function calibrationValues(s: TradingStats): CalibrationValues {
  return Object.fromEntries(CALIBRATION_ROWS.map((r) => [r.key, r.value(s)]));
}

/** The calibration values of every calendar year of a series covering ≥ 90 % of its hours. */
export function yearlyCalibrationValues(candles: Candles): { year: number; coverage: number; values: CalibrationValues }[] {
  return calendarYears(candles).map((y) => ({ year: y.year, coverage: y.coverage, values: calibrationValues(tradingStats(candles, y)) }));
}

/** The committed figures of the real BTC years (and whole-series statistics) that docs and tests compare with. */
export interface RealMarketFixture {
  /** The file the figures were computed from, and its SHA-256. */
  readonly source: string;
  readonly sha256: string;
  /** The command that rewrites this fixture. */
  readonly recipe: string;
  readonly years: readonly { readonly year: number; readonly coverage: number; readonly values: CalibrationValues }[];
  /** `marketStats` of the whole file and of the article's training window. */
  readonly marketStats: readonly { readonly label: string; readonly stats: MarketStats }[];
}

/** data/btc-usd-1h-calibration.json, resolved from this module's URL (any working directory). */
export const REAL_MARKET_FIXTURE_PATH = fileURLToPath(new URL("../../data/btc-usd-1h-calibration.json", import.meta.url));

export function readRealMarketFixture(path = REAL_MARKET_FIXTURE_PATH): RealMarketFixture {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as RealMarketFixture;
  if (!Array.isArray(parsed.years) || parsed.years.length === 0) throw new Error(`${path}: expected a non-empty "years" array`);
  for (const r of CALIBRATION_ROWS) {
    for (const y of parsed.years) {
      if (typeof y.values[r.key] !== "number") throw new Error(`${path}: year ${y.year} has no number for "${r.key}" (rewrite it with npm run market-calibration -- --real <csv>)`);
    }
  }
  return parsed;
}

export interface RealRange {
  readonly lo: number;
  readonly hi: number;
}

/** Per row: the smallest and largest value over the given years. */
export function realRanges(years: readonly { readonly values: CalibrationValues }[]): Readonly<Record<string, RealRange>> {
  return Object.fromEntries(
    CALIBRATION_ROWS.map((r) => {
      const v = years.map((y) => y.values[r.key]!);
      return [r.key, { lo: Math.min(...v), hi: Math.max(...v) }];
    }),
  );
}

/** Rows whose value falls outside the range. */
export function rowsOutside(values: CalibrationValues, ranges: Readonly<Record<string, RealRange>>): CalibrationRow[] {
  return CALIBRATION_ROWS.filter((r) => {
    const v = values[r.key]!;
    const range = ranges[r.key]!;
    return !(v >= range.lo && v <= range.hi);
  });
}

/**
 * The yardstick for "inside the range of real years": each real year set against the range of the others.
 * A real year is no more "inside" than this, so a synthetic year that is inside as often is as typical as a
 * real one.
 */
export function leaveOneOut(years: readonly { readonly year: number; readonly values: CalibrationValues }[]): { year: number; outside: CalibrationRow[] }[] {
  return years.map((y, k) => ({ year: y.year, outside: rowsOutside(y.values, realRanges(years.filter((_, j) => j !== k))) }));
}

/** Seeds of the generator's own spread in the table (fixed, so the docs table is reproducible). */
export const GENERATOR_SEEDS: readonly number[] = Array.from({ length: 32 }, (_, i) => 5001 + i);

/** Calibration values of every calendar year of the generator's series for each seed. */
export function generatorYears(seeds: readonly number[] = GENERATOR_SEEDS, config: SyntheticMarketConfigInput = {}): CalibrationValues[] {
  return seeds.flatMap((seed) => yearlyCalibrationValues(generateSyntheticMarket(config, seed)).map((y) => y.values));
}

/** Type-7 quantile of finite values. */
export function quantile(values: readonly number[], p: number): number {
  const s = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export interface CalibrationColumn {
  readonly label: string;
  readonly values: CalibrationValues;
}

export interface CalibrationTableInput {
  readonly real: readonly { readonly year: number; readonly values: CalibrationValues }[];
  /** Synthetic years shown one by one (the embedded market's). */
  readonly synthetic: readonly CalibrationColumn[];
  /** The generator's years over many seeds: shown as median [10 %, 90 %]. */
  readonly generator: readonly CalibrationValues[];
  /** Further single columns after the generator's (e.g. a planted market, marked as such). */
  readonly extra?: readonly CalibrationColumn[];
}

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits).replace(/^-/, "−") : "n/a");

/**
 * The calibration table (Markdown): the real years, their range, the synthetic columns (a "†" marks a value
 * outside the real range), the generator's median [10 %, 90 %], the extra columns.
 */
export function calibrationTable(input: CalibrationTableInput): string {
  const ranges = realRanges(input.real);
  const header = [
    "",
    ...input.real.map((y) => `BTC ${y.year}`),
    "real range",
    ...input.synthetic.map((c) => c.label),
    `generator, ${input.generator.length} years: median [10 %, 90 %]`,
    ...(input.extra ?? []).map((c) => c.label),
  ];
  const mark = (key: string, v: number): string => {
    const r = ranges[key]!;
    return v >= r.lo && v <= r.hi ? "" : " †";
  };
  const body = CALIBRATION_ROWS.map((r) => {
    const gen = input.generator.map((g) => g[r.key]!);
    const range = ranges[r.key]!;
    return [
      r.edge ? `**${r.label}**` : r.label,
      ...input.real.map((y) => fmt(y.values[r.key]!, r.digits)),
      `${fmt(range.lo, r.digits)} … ${fmt(range.hi, r.digits)}`,
      ...input.synthetic.map((c) => fmt(c.values[r.key]!, r.digits) + mark(r.key, c.values[r.key]!)),
      `${fmt(quantile(gen, 0.5), r.digits)}${mark(r.key, quantile(gen, 0.5))} [${fmt(quantile(gen, 0.1), r.digits)}, ${fmt(quantile(gen, 0.9), r.digits)}]`,
      ...(input.extra ?? []).map((c) => fmt(c.values[r.key]!, r.digits) + mark(r.key, c.values[r.key]!)),
    ];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...body.map(line)].join("\n");
}

/** Share of (year, row) cells inside the real range, over a set of synthetic years. */
export function insideShare(years: readonly CalibrationValues[], ranges: Readonly<Record<string, RealRange>>): number {
  let inside = 0;
  for (const y of years) inside += CALIBRATION_ROWS.length - rowsOutside(y, ranges).length;
  return inside / (years.length * CALIBRATION_ROWS.length);
}

/** The article's training window, the second real column of the whole-series table. */
export const ARTICLE_WINDOW = { start: "2018-05-06", end: "2019-06-28" } as const;

/** The fixture's content computed from a real candle file (its path as written in docs, and its SHA-256). */
export function realMarketFixture(candles: Candles, source: string, sha256: string, recipe: string): RealMarketFixture {
  const name = source.split("/").pop() ?? source;
  return {
    source,
    sha256,
    recipe,
    years: yearlyCalibrationValues(candles),
    marketStats: [
      { label: name, stats: marketStats(candles) },
      { label: `${name} ${ARTICLE_WINDOW.start}..${ARTICLE_WINDOW.end}`, stats: marketStats(selectRange(candles, ARTICLE_WINDOW)) },
    ],
  };
}

export interface SeedRank {
  readonly seed: number;
  /** Edge rows outside the real range, summed over the series' years. */
  readonly edgeOutside: number;
  /** All rows outside the real range, summed over the series' years. */
  readonly outside: number;
  /** Buy-and-hold log return of each year. */
  readonly yearReturns: readonly number[];
}

/**
 * How the embedded market's seed is chosen: every candidate seed's years set against the real range, ranked by
 * the edge rows outside it (direction and rule statistics first: the market must not hand out an edge real
 * years do not), then by all rows outside it. `bullThenBear` keeps only paths whose first year rises and
 * second falls, like BTC in 2021–2022, so the notebooks' train/test split shows both.
 */
export function rankMarketSeeds(
  seeds: readonly number[],
  ranges: Readonly<Record<string, RealRange>>,
  opts: { readonly config?: SyntheticMarketConfigInput; readonly bullThenBear?: boolean } = {},
): SeedRank[] {
  const out: SeedRank[] = [];
  for (const seed of seeds) {
    const years = yearlyCalibrationValues(generateSyntheticMarket(opts.config ?? {}, seed));
    const yearReturns = years.map((y) => y.values["bhLogReturn"]!);
    if (opts.bullThenBear === true && !(yearReturns[0]! > 0 && yearReturns.at(-1)! < 0)) continue;
    const outsideRows = years.flatMap((y) => rowsOutside(y.values, ranges));
    out.push({ seed, edgeOutside: outsideRows.filter((r) => r.edge).length, outside: outsideRows.length, yearReturns });
  }
  return out.sort((a, b) => a.edgeOutside - b.edgeOutside || a.outside - b.outside || a.seed - b.seed);
}
