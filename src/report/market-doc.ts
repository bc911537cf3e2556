/**
 * The computed parts of docs/market.md: the calibration table (synthetic against real BTC years), what it
 * says in numbers, the rules' out-of-sample results through the env on the embedded and the planted market,
 * and the whole-series statistics table. `npm run market-calibration` writes them into the doc's generated
 * blocks; market-doc.test.ts checks the committed doc against a fresh computation.
 */
import {
  CALIBRATION_ROWS,
  GENERATOR_SEEDS,
  calibrationTable,
  generatorYears,
  insideShare,
  leaveOneOut,
  quantile,
  readRealMarketFixture,
  realRanges,
  rowsOutside,
  yearlyCalibrationValues,
  type CalibrationValues,
  type RealMarketFixture,
} from "../data/calibration.js";
import type { Candles } from "../data/candles.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { formatMarketStatsTable, marketStats } from "../data/market-stats.js";
import {
  DEFAULT_MARKET_SEED,
  PLANTED_TRENDS_SEED,
  REGIMES,
  SYNTHETIC_MARKET_PRESETS,
  generateSyntheticMarket,
  resolveSyntheticMarketConfig,
  type Regime,
  type SyntheticMarketConfigInput,
} from "../data/synthetic.js";
import { backtestModel, runBacktest } from "../eval/backtest.js";
import { buyAndHoldTrace, maCrossoverPolicy } from "../eval/baselines.js";
import { computeMetrics, type BacktestMetrics } from "../eval/metrics.js";

/** The split of `npm start` and notebook 05: 18 months in-sample, 6 months out-of-sample. */
export const MARKET_DOC_SPLIT = "2022-07-01";

const pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} %`;
const num = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(d).replace(/^-/, "−"));

export interface RuleCheck {
  readonly buyAndHold: BacktestMetrics;
  readonly maCrossover: BacktestMetrics;
  /** The 30 MA pairs of notebook 05 out of sample: how many made money, how many beat buy-and-hold. */
  readonly pairsPositive: number;
  readonly pairsBeatHold: number;
  readonly pairs: number;
  /** The pair with the best in-sample return, and its out-of-sample return and rank (1 = best of 30). */
  readonly bestInSample: string;
  readonly bestInSampleOut: number;
  readonly bestInSampleRank: number;
}

/** The article's env (`seed` preset) over the out-of-sample window: MA(24,168) and the 30 pairs of notebook 05. */
export function ruleCheck(candles: Candles, split = MARKET_DOC_SPLIT): RuleCheck {
  const modelIn = backtestModel(candles, "seed", { end: split });
  const modelOut = backtestModel(candles, "seed", { start: split });
  const sweep: { name: string; in: number; out: BacktestMetrics }[] = [];
  for (const fast of [3, 6, 12, 24, 48, 96]) {
    for (const k of [2, 4, 8, 16, 32]) {
      const slow = fast * k;
      sweep.push({
        name: `MA(${fast},${slow})`,
        in: computeMetrics(runBacktest(modelIn, maCrossoverPolicy(modelIn, { fast, slow }))).totalReturn,
        out: computeMetrics(runBacktest(modelOut, maCrossoverPolicy(modelOut, { fast, slow }))),
      });
    }
  }
  const best = sweep.reduce((a, b) => (b.in > a.in ? b : a));
  const byOut = [...sweep].sort((a, b) => b.out.totalReturn - a.out.totalReturn);
  return {
    buyAndHold: computeMetrics(buyAndHoldTrace(modelOut)),
    maCrossover: computeMetrics(runBacktest(modelOut, maCrossoverPolicy(modelOut))),
    pairsPositive: sweep.filter((s) => s.out.totalReturn > 0).length,
    pairsBeatHold: sweep.filter((s) => s.out.excessReturn > 0).length,
    pairs: sweep.length,
    bestInSample: best.name,
    bestInSampleOut: best.out.totalReturn,
    bestInSampleRank: byOut.indexOf(best) + 1,
  };
}

export interface MarketDocInput {
  readonly fixture?: RealMarketFixture;
  readonly embedded?: Candles;
  readonly seeds?: readonly number[];
  /** The generator's years, when already computed for `seeds` (they take a few seconds). */
  readonly generator?: readonly CalibrationValues[];
}

/** Every generated block of docs/market.md, by block name. */
export function marketDocBlocks(input: MarketDocInput = {}): Record<string, string> {
  const fixture = input.fixture ?? readRealMarketFixture();
  const embedded = input.embedded ?? loadEmbeddedMarket();
  const seeds = input.seeds ?? GENERATOR_SEEDS;
  const planted = generateSyntheticMarket(SYNTHETIC_MARKET_PRESETS.planted_trends, PLANTED_TRENDS_SEED);
  const embeddedYears = yearlyCalibrationValues(embedded);
  const plantedYears = yearlyCalibrationValues(planted);
  const generator = input.generator ?? generatorYears(seeds);
  const ranges = realRanges(fixture.years);

  const table = calibrationTable({
    real: fixture.years,
    synthetic: embeddedYears.map((y) => ({ label: `embedded ${y.year}`, values: y.values })),
    generator,
    extra: plantedYears.slice(-1).map((y) => ({ label: `planted_trends ${y.year} (demo)`, values: y.values })),
  });

  const loo = leaveOneOut(fixture.years);
  const looOutside = loo.map((l) => l.outside.length);
  const rows = CALIBRATION_ROWS.length;
  const medianOutside = CALIBRATION_ROWS.filter((r) => {
    const m = quantile(generator.map((g) => g[r.key]!), 0.5);
    return !(m >= ranges[r.key]!.lo && m <= ranges[r.key]!.hi);
  });
  const nearEdge = CALIBRATION_ROWS.filter((r) => {
    const m = quantile(generator.map((g) => g[r.key]!), 0.5);
    const { lo, hi } = ranges[r.key]!;
    return m >= lo && m <= hi && Math.min(m - lo, hi - m) < 0.1 * (hi - lo);
  });
  const embeddedLines = embeddedYears.map((y) => {
    const out = rowsOutside(y.values, ranges);
    return `  - embedded ${y.year}: outside on ${out.length} of ${rows} rows${out.length > 0 ? ` (${out.map((r) => r.label).join("; ")})` : ""}`;
  });
  const plantedOut = rowsOutside(plantedYears.at(-1)!.values, ranges);
  const plantedEdgeOut = plantedOut.filter((r) => r.edge);
  const summary = [
    `- **The generator's years are as typical as real ones.** Over ${generator.length} generated years (seeds ${seeds[0]}…${seeds.at(-1)}, two years each), ` +
      `${(insideShare(generator, ranges) * 100).toFixed(0)} % of the (year, row) cells fall inside the range of the ${fixture.years.length} real years. ` +
      `The yardstick: each real year set against the range of the other ${fixture.years.length - 1} falls outside on ${Math.min(...looOutside)} to ${Math.max(...looOutside)} of the ${rows} rows ` +
      `(${loo.map((l) => `${l.year}: ${l.outside.length}`).join(", ")}), i.e. inside on ${((1 - looOutside.reduce((a, b) => a + b, 0) / (loo.length * rows)) * 100).toFixed(0)} % of the cells.`,
    `- **The generator's median is inside the real range on ${rows - medianOutside.length} of ${rows} rows**${medianOutside.length > 0 ? ` (outside: ${medianOutside.map((r) => r.label).join("; ")})` : ""}` +
      `${nearEdge.length > 0 ? `; within a tenth of the range's width from its edge on ${nearEdge.map((r) => r.label).join("; ")}` : ""}.`,
    `- **The embedded market** (seed ${DEFAULT_MARKET_SEED}):`,
    ...embeddedLines,
    `- **The planted market** (\`planted_trends\`, seed ${PLANTED_TRENDS_SEED}, the project's first embedded market) falls outside on ${plantedOut.length} rows, ` +
      `${plantedEdgeOut.length} of them edge rows (${plantedEdgeOut.map((r) => r.label).join("; ")}): its trends are a pattern that is really there.`,
  ].join("\n");

  const checks = [
    { label: `embedded (seed ${DEFAULT_MARKET_SEED})`, c: ruleCheck(embedded) },
    { label: `planted_trends (seed ${PLANTED_TRENDS_SEED}, demo)`, c: ruleCheck(planted) },
  ];
  const rulesTable = [
    `| market, out of sample from ${MARKET_DOC_SPLIT} | buy-and-hold | MA(24,168) return | MA(24,168) − B&H | MA(24,168) Sharpe | B&H Sharpe | MA pairs with return > 0 | MA pairs beating B&H | best in-sample pair, out of sample |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...checks.map(
      ({ label, c }) =>
        `| ${label} | ${pct(c.buyAndHold.totalReturn)} | ${pct(c.maCrossover.totalReturn)} | ${pct(c.maCrossover.excessReturn)} | ${num(c.maCrossover.sharpe)} | ${num(c.buyAndHold.sharpe)} | ${c.pairsPositive} of ${c.pairs} | ${c.pairsBeatHold} of ${c.pairs} | ${c.bestInSample}: ${pct(c.bestInSampleOut)} (rank ${c.bestInSampleRank} of ${c.pairs}) |`,
    ),
  ].join("\n");

  const statsTable = formatMarketStatsTable(
    [{ label: "synthetic-btc-1h.csv", stats: marketStats(embedded) }, ...fixture.marketStats.map((m) => ({ label: m.label, stats: m.stats }))],
    "markdown",
  );
  let peak = 0;
  for (let t = 1; t < embedded.length; t++) if (embedded.close[t]! > embedded.close[peak]!) peak = t;
  const usd = (x: number) => Math.round(x).toLocaleString("en-US");
  const seedPath =
    `The committed seed is \`DEFAULT_MARKET_SEED = ${DEFAULT_MARKET_SEED}\`. Its path runs from ${usd(embedded.close[0]!)} USD to a peak of ` +
    `${usd(embedded.close[peak]!)} on ${new Date(embedded.timestamp[peak]!).toISOString().slice(0, 10)} and ends at ${usd(embedded.close[embedded.length - 1]!)}; ` +
    `buy-and-hold's log return is ${embeddedYears.map((y) => `${y.values["bhLogReturn"]!.toFixed(2).replace(/^-/, "−")} in ${y.year}`).join(" and ")}.`;
  return {
    parameters: parametersTable(fixture),
    "seed-path": seedPath,
    "calibration-table": table,
    "calibration-summary": summary,
    "rules-out-of-sample": rulesTable,
    "market-stats-table": statsTable,
  };
}

function fmtRange(fixture: RealMarketFixture): string {
  const v = fixture.years.map((y) => y.values["bhLogReturn"]!);
  const sign = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;
  return `${sign(Math.min(...v))} to ${sign(Math.max(...v))} from ${fixture.years[0]!.year} to ${fixture.years.at(-1)!.year}`;
}

/** Stationary distribution of the regime chain (power iteration on its hourly transition matrix). */
export function regimeShares(config: SyntheticMarketConfigInput = {}): Record<Regime, number> {
  const cfg = resolveSyntheticMarketConfig(config);
  const P = REGIMES.map((from) => {
    const p = cfg.regimes[from];
    const w = REGIMES.map((to) => (to === from ? 0 : p.next[to]));
    const total = w.reduce((x, y) => x + y, 0);
    return REGIMES.map((to, j) => (to === from ? 1 - 1 / p.meanHours : w[j]! / p.meanHours / total));
  });
  let pi = REGIMES.map(() => 1 / REGIMES.length);
  for (let it = 0; it < 50_000; it++) pi = pi.map((_, j) => pi.reduce((acc, pk, k) => acc + pk * P[k]![j]!, 0));
  return Object.fromEntries(REGIMES.map((r, i) => [r, pi[i]!])) as Record<Regime, number>;
}

/** The parameters table of docs/market.md: every field's default, from the resolved config itself. */
export function parametersTable(fixture: RealMarketFixture = readRealMarketFixture()): string {
  const c = resolveSyntheticMarketConfig();
  const reg = (name: Regime) => {
    const r = c.regimes[name];
    const next = REGIMES.filter((o) => o !== name).map((o) => `${o} ${r.next[o]}`).join(" / ");
    return `μ ${r.driftPerHour === 0 ? "0" : `${r.driftPerHour > 0 ? "+" : "−"}${Math.abs(r.driftPerHour)}/h (${r.driftPerHour > 0 ? "+" : "−"}${Math.abs(r.driftPerHour * 2400).toFixed(2)} %/day)`}, m ${r.volMultiplier}, ${r.meanHours} h (${r.meanHours / 24} d), next: ${next}`;
  };
  const rows: [string, string, string][] = [
    ["`hours`", c.hours.toLocaleString("en-US"), "bars (two 365-day years)"],
    ["`start`", `\`${new Date(c.start).toISOString().replace(".000", "")}\``, "open of the first bar (whole UTC hour)"],
    ["`startPrice`", c.startPrice.toLocaleString("en-US"), "first open, USD"],
    ["`symbol`", `\`${c.symbol}\``, "meta symbol"],
    ["`initialRegime`", `\`${c.initialRegime}\``, "regime of hour 0"],
    ...REGIMES.map((r) => [`\`regimes.${r}\``, reg(r), { calm: "quiet market", bull: "bull market (months)", bear: "bear market (months), more volatile" }[r]] as [string, string, string]),
    ["`garch.hourlyVol` σ̄", String(c.garch.hourlyVol), "unconditional hourly vol of the GARCH part"],
    ["`garch.alpha` α", String(c.garch.alpha), "reaction to last hour's shock"],
    ["`garch.beta` β", String(c.garch.beta), `persistence (α + β = ${(c.garch.alpha + c.garch.beta).toFixed(3)}: half-life ≈ ${(Math.log(0.5) / Math.log(c.garch.alpha + c.garch.beta)).toFixed(0)} h)`],
    ["`tailDof` ν", String(c.tailDof), "Student-t degrees of freedom (integer ≥ 3)"],
    ["`autoregression` φ_k", c.autoregression.map((a) => `lag ${a.lag}: ${a.coefficient}`).join(", "), "small negative autocorrelations of real hourly BTC"],
    ["`trend.strength` s", String(c.trend.strength), "std of the wandering drift, in units of σ̄"],
    ["`trend.persistence` ρ", String(c.trend.persistence), `its hour-to-hour persistence (half-life ≈ ${(Math.log(0.5) / Math.log(c.trend.persistence)).toFixed(0)} h)`],
    ["`diurnal.amplitude` a", String(c.diurnal.amplitude), `±${(c.diurnal.amplitude * 100).toFixed(0)} % swing of volatility over the day`],
    ["`diurnal.peakHourUtc`", String(c.diurnal.peakHourUtc), "most volatile hour (US session)"],
    ["`openGap` g", String(c.openGap), "open's jump from the previous close, in σ_t"],
    ["`wickScale` w", String(c.wickScale), "mean wick beyond the body, in σ_t"],
    ["`volume.level` L", String(c.volume.level), "typical hourly volume (coins) on a still hour"],
    ["`volume.absReturnGain` k", String(c.volume.absReturnGain), "extra volume per σ̄ of absolute return"],
    ["`volume.noiseVol` η", String(c.volume.noiseVol), "std of the log-volume noise"],
    ["`volume.noisePersistence` ρ_v", String(c.volume.noisePersistence), "hour-to-hour persistence of that noise"],
  ];
  const shares = regimeShares();
  const drift = REGIMES.reduce((acc, r) => acc + shares[r] * c.regimes[r].driftPerHour, 0);
  return [
    "| field | default | meaning |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `In the long run the chain spends ${REGIMES.map((r) => `${(shares[r] * 100).toFixed(0)} % of the time ${r}`).join(", ")} (its stationary distribution). ` +
      `The average drift is therefore ${drift >= 0 ? "+" : "−"}${Math.abs(drift).toExponential(2)} log per hour, ${drift >= 0 ? "+" : "−"}${Math.abs(drift * 8760).toFixed(2)} a year: ` +
      `small next to a year's volatility (about 0.8), as for real BTC, whose yearly log returns (${fmtRange(fixture)}) are what a driftless random walk of that volatility gives.`,
  ].join("\n");
}
