import type { ObservationConfig, PortfolioFeature } from "./config.js";
import { PORTFOLIO_FEATURES } from "./config.js";
import type { PreparedMarket } from "./market.js";
import type { BoxSpace } from "./spaces.js";

/**
 * The observation of row t: the look-back block of market features (rows t−window+1 … t, oldest first),
 * then the portfolio features in the configured order. One flat float32 vector.
 */
export interface ObservationLayout {
  readonly size: number;
  readonly space: BoxSpace;
  /** window × featureCols: the market part's length. */
  readonly marketSize: number;
  /** Index into PORTFOLIO_FEATURES of each portfolio element. */
  readonly portfolioCodes: Int32Array;
  readonly cashScale: number;
  readonly coinScale: number;
  /** Starting mix, for pnl_vs_hold. */
  readonly initialCash: number;
  readonly initialCoins: number;
}

const CASH_SCALED = PORTFOLIO_FEATURES.indexOf("cash_scaled");
const COINS_SCALED = PORTFOLIO_FEATURES.indexOf("coins_scaled");
const CASH_SHARE = PORTFOLIO_FEATURES.indexOf("cash_share");
const COIN_SHARE = PORTFOLIO_FEATURES.indexOf("coin_share");

/** Bounds of each portfolio feature; the checker holds every observation to them. */
const PORTFOLIO_BOUNDS: Record<PortfolioFeature, readonly [number, number]> = {
  cash_scaled: [0, Infinity],
  coins_scaled: [0, Infinity],
  cash_share: [0, 1],
  coin_share: [0, 1],
  // V ≥ 0 and H > 0, so (V − H) / H ≥ −1.
  pnl_vs_hold: [-1, Infinity],
};

export function observationLayout(
  market: Pick<PreparedMarket, "featureNames" | "featureCols" | "window">,
  obs: ObservationConfig,
  initialCash: number,
  initialCoins: number,
): ObservationLayout {
  const { featureNames, featureCols, window } = market;
  const labels: string[] = [];
  for (let w = 0; w < window; w++) {
    const lag = window - 1 - w;
    for (const name of featureNames) labels.push(window === 1 ? name : lag === 0 ? `${name}[t]` : `${name}[t-${lag}]`);
  }
  const marketSize = window * featureCols;
  const size = marketSize + obs.portfolio.length;
  const low = new Float64Array(size).fill(-Infinity);
  const high = new Float64Array(size).fill(Infinity);
  obs.portfolio.forEach((f, k) => {
    const [lo, hi] = PORTFOLIO_BOUNDS[f];
    low[marketSize + k] = lo;
    high[marketSize + k] = hi;
    labels.push(portfolioLabel(f, obs));
  });
  return {
    size,
    space: { kind: "box", shape: [size], low, high, labels },
    marketSize,
    portfolioCodes: Int32Array.from(obs.portfolio, (f) => PORTFOLIO_FEATURES.indexOf(f)),
    cashScale: obs.cashScale,
    coinScale: obs.coinScale,
    initialCash,
    initialCoins,
  };
}

function portfolioLabel(f: PortfolioFeature, obs: ObservationConfig): string {
  if (f === "cash_scaled") return `cash/${obs.cashScale}`;
  if (f === "coins_scaled") return obs.coinScale === 1 ? "coins" : `coins/${obs.coinScale}`;
  return f;
}

/**
 * Writes the observation of `row` with portfolio (cash, coins) into out[offset … offset + size).
 * Reads only feature rows ≤ row and close[row]: causal by construction.
 */
export function writeObservation(
  market: PreparedMarket,
  layout: ObservationLayout,
  row: number,
  cash: number,
  coins: number,
  out: Float32Array,
  offset: number,
): void {
  const features = market.paddedFeatures;
  const n = layout.marketSize;
  const from = row * market.featureCols;
  for (let j = 0; j < n; j++) out[offset + j] = features[from + j]!;
  const codes = layout.portfolioCodes;
  if (codes.length === 0) return;
  const p = market.close[row]!;
  const coinValue = coins * p;
  const value = cash + coinValue;
  for (let k = 0; k < codes.length; k++) {
    const code = codes[k]!;
    let x: number;
    if (code === CASH_SCALED) x = cash / layout.cashScale;
    else if (code === COINS_SCALED) x = coins / layout.coinScale;
    else if (code === CASH_SHARE) x = value > 0 ? cash / value : 0;
    else if (code === COIN_SHARE) x = value > 0 ? coinValue / value : 0;
    else {
      const hold = layout.initialCash + layout.initialCoins * p;
      x = (value - hold) / hold;
    }
    out[offset + n + k] = x;
  }
}
