import type { Candles } from "../data/candles.js";
import { EnvError } from "../env/errors.js";
import { featuresFromConfig, featureStartRow } from "../env/features-from-config.js";
import { createRewardScheme } from "../env/rewards/index.js";
import type { RewardScheme } from "../env/rewards/reward-scheme.js";
import type { BoxSpace } from "../env/spaces.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import { applyNormalization, fitNormalization } from "../features/normalization.js";
import { computeFeatures } from "../features/registry.js";
import { createWeightScheme, type WeightScheme } from "./actions.js";
import type { AlignedMarket } from "./align.js";
import { resolvePortfolioConfig, type PortfolioConfig, type PortfolioConfigInput } from "./config.js";
import type { RebalanceParams } from "./rebalance.js";

/**
 * Everything fixed for a portfolio env's life, precomputed into flat typed arrays once: prices of every
 * asset (rows × K, row-major), fill prices, the tradable mask, padded feature rows, the observation layout,
 * the schemes. The pure core (core.ts) reads only this and the explicit state.
 */
export interface PortfolioMarket {
  readonly symbols: readonly string[];
  /** K. */
  readonly assets: number;
  readonly rows: number;
  readonly timestamp: Float64Array;
  /** rows × K: close of asset k at row t is close[t·K + k] (the valuation price). */
  readonly close: Float64Array;
  /** rows × K: base fill price (before slippage) of an order on asset k decided on row t. */
  readonly fillBase: Float64Array;
  /** rows × K: 1 where an order on asset k decided on row t can fill (its fill bar is a real bar). */
  readonly tradable: Uint8Array;
  readonly buyFactor: number;
  readonly sellFactor: number;
  /** "<symbol>:<feature>" for every asset's features, asset by asset. */
  readonly featureNames: readonly string[];
  readonly featureCols: number;
  readonly window: number;
  /** (window − 1 + rows) × featureCols float32, the look-back block of row t starting at t·featureCols. */
  readonly paddedFeatures: Float32Array;
  readonly firstRow: number;
  readonly lastRow: number;
}

export interface PortfolioLayout {
  readonly size: number;
  readonly space: BoxSpace;
  /** window × featureCols. */
  readonly marketSize: number;
  /** Which portfolio features follow the market part, in order. */
  readonly weights: boolean;
  readonly cashShare: boolean;
  readonly pnlVsHold: boolean;
}

export interface PortfolioModel {
  readonly config: PortfolioConfig;
  readonly market: PortfolioMarket;
  readonly actions: WeightScheme;
  readonly rewards: RewardScheme;
  readonly layout: PortfolioLayout;
  readonly rebalance: RebalanceParams;
  readonly assets: number;
  readonly initialCash: number;
  readonly ruinFraction: number;
  /** Steps per random episode; 0 in full mode. */
  readonly episodeLength: number;
  readonly fullEpisode: boolean;
}

export interface PortfolioSource {
  readonly market: AlignedMarket;
  readonly config: PortfolioConfig | PortfolioConfigInput;
  /** Precomputed features (one row per aligned row); computed from the config when omitted. */
  readonly features?: FeatureMatrix;
}

/**
 * Every asset's features, side by side: each asset's own candles through the env's feature code
 * (featuresFromConfig, unnormalised), columns named "<symbol>:<name>", then the config's fitted
 * standardisation over the whole row (one statistic per column, fitted on the training rows).
 */
export function portfolioFeatures(market: AlignedMarket, source: PortfolioConfig["observation"]["features"]): FeatureMatrix {
  const parts = market.candles.map((c) => (source.kind === "specs" ? computeFeatures(c, source.specs) : featuresFromConfig(c, source)));
  const combined = concatColumns(parts, market.symbols);
  if (source.kind !== "specs" || source.normalization === undefined) return combined;
  return applyNormalization(combined, source.normalization, source.clip === undefined ? {} : { clip: source.clip });
}

function concatColumns(parts: readonly FeatureMatrix[], symbols: readonly string[]): FeatureMatrix {
  const rows = parts[0]!.rows;
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const values = new Float64Array(rows * cols);
  let at = 0;
  parts.forEach((p) => {
    for (let t = 0; t < rows; t++) for (let j = 0; j < p.cols; j++) values[t * cols + at + j] = p.values[t * p.cols + j]!;
    at += p.cols;
  });
  return { names: parts.flatMap((p, k) => p.names.map((n) => `${symbols[k]}:${n}`)), rows, cols, values };
}

/**
 * The config with feature standardisation fitted on the rows its episodes use (the training range): pass the
 * result to the training env and to every backtest, so that all of them scale with training statistics only.
 */
export function withFittedPortfolioNormalization(input: PortfolioConfig | PortfolioConfigInput, market: AlignedMarket): PortfolioConfig {
  const config = resolvePortfolioConfig(input);
  const f = config.observation.features;
  if (f.kind !== "specs") throw new EnvError("invalid_config", "normalisation needs feature specs (features.kind = \"specs\")", "observation.features.kind");
  const { firstRow, lastRow } = portfolioRowRange(market.timestamp, config);
  const raw = concatColumns(
    market.candles.map((c) => computeFeatures(c, f.specs)),
    market.symbols,
  );
  const stats = fitNormalization(raw, { rows: [firstRow, lastRow + 1] });
  return resolvePortfolioConfig({ ...config, observation: { ...config.observation, features: { ...f, normalization: stats } } });
}

/** Rows [firstRow, lastRow] episodes may use (the config's from/to, the features' warm-up); throws when too few. */
export function portfolioRowRange(timestamp: Float64Array, config: PortfolioConfig): { firstRow: number; lastRow: number } {
  const n = timestamp.length;
  const { from, to } = config.episode;
  let firstRow = Math.min(featureStartRow(config.observation), n);
  let lastRow = n - 1;
  if (from !== undefined) while (firstRow < n && timestamp[firstRow]! < from) firstRow++;
  if (to !== undefined) while (lastRow >= 0 && timestamp[lastRow]! >= to) lastRow--;
  const needed = config.episode.mode === "random_window" ? config.episode.length + 1 : 2;
  if (lastRow - firstRow + 1 < needed) {
    throw new EnvError(
      "invalid_market",
      `an episode of this config needs at least ${needed} aligned rows (episode.from/to and feature warm-up applied), got ${Math.max(0, lastRow - firstRow + 1)}`,
      config.episode.mode === "random_window" ? "episode.length" : "episode",
    );
  }
  return { firstRow, lastRow };
}

export function createPortfolioModel(source: PortfolioSource): PortfolioModel {
  const config = resolvePortfolioConfig(source.config);
  const aligned = source.market;
  const K = aligned.symbols.length;
  const rows = aligned.length;
  const nextOpen = config.fill.at === "next_open";
  aligned.candles.forEach((c, k) => checkPrices(c, k, nextOpen));
  const features = source.features ?? portfolioFeatures(aligned, config.observation.features);
  if (features.rows !== rows || features.values.length !== rows * features.cols) {
    throw new EnvError("invalid_market", `the feature matrix must have one row per aligned row (${rows}), got ${features.rows}`, "features");
  }
  for (let i = 0; i < features.values.length; i++) {
    if (!(Math.abs(features.values[i]!) <= 3.4e38)) {
      throw new EnvError("invalid_market", `features must be finite, got ${features.values[i]}`, `features.${features.names[i % features.cols]}[${Math.floor(i / features.cols)}]`);
    }
  }

  const close = new Float64Array(rows * K);
  const fillBase = new Float64Array(rows * K);
  const tradable = new Uint8Array(rows * K);
  for (let k = 0; k < K; k++) {
    const c = aligned.candles[k]!;
    const ok = aligned.tradable[k]!;
    for (let t = 0; t < rows; t++) {
      close[t * K + k] = c.close[t]!;
      if (!nextOpen) {
        fillBase[t * K + k] = c.close[t]!;
        tradable[t * K + k] = ok[t]!;
      } else if (t + 1 < rows) {
        fillBase[t * K + k] = c.open[t + 1]!;
        tradable[t * K + k] = ok[t + 1]!;
      } else fillBase[t * K + k] = Number.NaN; // an order on the last row never fills: episodes end before it
    }
  }
  const { window, padding } = config.observation;
  const cols = features.cols;
  const padded = new Float32Array((window - 1 + rows) * cols);
  padded.set(features.values, (window - 1) * cols);
  if (padding === "clamp") for (let r = 0; r < window - 1; r++) for (let j = 0; j < cols; j++) padded[r * cols + j] = features.values[j]!;
  const { firstRow, lastRow } = portfolioRowRange(aligned.timestamp, config);
  const slip = config.fill.slippageBps / 10_000;
  const market: PortfolioMarket = {
    symbols: aligned.symbols,
    assets: K,
    rows,
    timestamp: aligned.timestamp,
    close,
    fillBase,
    tradable,
    buyFactor: 1 + slip,
    sellFactor: 1 - slip,
    featureNames: features.names,
    featureCols: cols,
    window,
    paddedFeatures: padded,
    firstRow,
    lastRow,
  };
  return {
    config,
    market,
    actions: createWeightScheme(config.actions, aligned.symbols),
    rewards: createRewardScheme(config),
    layout: portfolioLayout(market, config.observation),
    rebalance: { commission: config.commission, buyFactor: 1 + slip, sellFactor: 1 - slip, minTradeUsd: config.actions.minTradeUsd, band: config.actions.band },
    assets: K,
    initialCash: config.initialCash,
    ruinFraction: config.ruinFraction,
    episodeLength: config.episode.mode === "random_window" ? config.episode.length : 0,
    fullEpisode: config.episode.mode === "full",
  };
}

function portfolioLayout(market: PortfolioMarket, obs: PortfolioConfig["observation"]): PortfolioLayout {
  const labels: string[] = [];
  for (let w = 0; w < market.window; w++) {
    const lag = market.window - 1 - w;
    for (const name of market.featureNames) labels.push(market.window === 1 ? name : lag === 0 ? `${name}[t]` : `${name}[t-${lag}]`);
  }
  const marketSize = market.window * market.featureCols;
  const lows: number[] = [];
  const highs: number[] = [];
  const weights = obs.portfolio.includes("asset_weights");
  const cashShare = obs.portfolio.includes("cash_share");
  const pnlVsHold = obs.portfolio.includes("pnl_vs_hold");
  // A fixed order whatever the config lists: weights, cash share, pnl.
  if (weights) for (const s of market.symbols) (labels.push(`weight ${s}`), lows.push(0), highs.push(1));
  if (cashShare) (labels.push("cash_share"), lows.push(0), highs.push(1));
  // V ≥ 0 and H > 0, so (V − H) / H ≥ −1.
  if (pnlVsHold) (labels.push("pnl_vs_hold"), lows.push(-1), highs.push(Infinity));
  const size = marketSize + lows.length;
  const low = new Float64Array(size).fill(-Infinity);
  const high = new Float64Array(size).fill(Infinity);
  low.set(lows, marketSize);
  high.set(highs, marketSize);
  return { size, space: { kind: "box", shape: [size], low, high, labels }, marketSize, weights, cashShare, pnlVsHold };
}

function checkPrices(c: Candles, k: number, needsOpen: boolean): void {
  for (let t = 0; t < c.length; t++) {
    const close = c.close[t]!;
    if (!(close > 0 && close < Infinity)) throw new EnvError("invalid_market", `close must be a finite positive price, got ${close}`, `assets[${k}].close[${t}]`);
    const open = c.open[t]!;
    if (needsOpen && !(open > 0 && open < Infinity)) throw new EnvError("invalid_market", `open must be a finite positive price (next-open fills), got ${open}`, `assets[${k}].open[${t}]`);
  }
}
