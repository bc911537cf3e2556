import { z } from "zod";
import { normalizationStatsSchema } from "../features/normalization.js";
import { featureSpecSchema } from "../features/registry.js";
import { coins, usd } from "./units.js";

/** A USD amount ≥ 0, typed `Usd` once resolved. */
const usdAmount = (fallback: number) => z.number().min(0).transform(usd).default(usd(fallback));
/** A coin amount ≥ 0, typed `Coins` once resolved. */
const coinAmount = (fallback: number) => z.number().min(0).transform(coins).default(coins(fallback));

/**
 * The trading env's one typed config. Every field is defaulted, and the defaults are the original article's
 * settings (the `seed` preset); `resolveEnvConfig` validates once at the edge and returns the resolved config.
 * Formulas for every option are in docs/env.md.
 */

/** A point in time: ms since the Unix epoch, or an ISO-8601 string ("2019-06-27" or "2019-06-27T00:00:00Z"). */
const instantSchema = z.union([z.number().finite(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `expected an ISO-8601 date, got "${v}"` });
    return z.NEVER;
  }
  return ms;
});

const rangeFields = {
  /** First candle usable by episodes: rows with timestamp ≥ from (default: the first row). */
  from: instantSchema.optional(),
  /** End of the usable candles: rows with timestamp < to (default: through the last row). */
  to: instantSchema.optional(),
};

export const episodeSchema = z.discriminatedUnion("mode", [
  z
    .object({
      /** Training: a uniformly random window of `length` steps, start uniform in [first, last + 1 − length). */
      mode: z.literal("random_window"),
      /** Steps per episode (the article: 500 hours). */
      length: z.number().int().min(1).default(500),
      ...rangeFields,
    })
    .strict(),
  z
    .object({
      /** Evaluation: one episode over the whole usable range (rows − 1 steps), as the article's backtest. */
      mode: z.literal("full"),
      ...rangeFields,
    })
    .strict(),
]);

export const fillSchema = z
  .object({
    /** Where an order decided on row t fills: "close" = close[t] (the article), "next_open" = open[t+1]. */
    at: z.enum(["close", "next_open"]).default("close"),
    /** Slippage in basis points: buys fill at price·(1 + bps/10⁴), sells at price·(1 − bps/10⁴). */
    slippageBps: z.number().min(0).max(10_000).default(0),
  })
  .strict();

const minTradeUsd = usdAmount(10);

export const actionsSchema = z.discriminatedUnion("kind", [
  z
    .object({
      /** The article's three actions: 0 hold, 1 buy with a fraction of the cash, 2 sell a fraction of the coins. */
      kind: z.literal("reference"),
      /** Fraction of the cash a buy spends, and of the coins a sell sells. */
      fraction: z.number().gt(0).max(1).default(0.5),
      /** A buy executes only if the USD it spends is strictly above this; otherwise it becomes a hold. */
      minCash: usdAmount(1),
      /** A sell executes only if the coins it sells are strictly above this; otherwise it becomes a hold. */
      minCoins: coinAmount(0.0001),
    })
    .strict(),
  z
    .object({
      /** Discrete target exposures: action k rebalances so that coins are levels[k] of the portfolio value. */
      kind: z.literal("exposure_levels"),
      /** Target coin shares of the portfolio value, each in [0, 1]. */
      levels: z.array(z.number().min(0).max(1)).min(2).readonly().default([0, 0.25, 0.5, 0.75, 1]),
      /** A rebalance executes only if its notional is strictly above this (USD); otherwise it becomes a hold. */
      minTradeUsd,
    })
    .strict(),
  z
    .object({
      /**
       * Hold, buy or sell with a continuous size (the second seed system's hybrid action): one value a in
       * [−1, 1], a > 0 buys with a of the cash, a < 0 sells −a of the coins, 0 holds.
       */
      kind: z.literal("side_and_size"),
      /** A buy executes only if the USD it spends is strictly above this; otherwise it becomes a hold. */
      minCash: usdAmount(1),
      /** A sell executes only if the coins it sells are strictly above this; otherwise it becomes a hold. */
      minCoins: coinAmount(0.0001),
    })
    .strict(),
  z
    .object({
      /** A continuous target exposure: the action (in [0, 1], clipped) is the target coin share of the value. */
      kind: z.literal("continuous_exposure"),
      /** A rebalance executes only if its notional is strictly above this (USD); otherwise it becomes a hold. */
      minTradeUsd,
    })
    .strict(),
]);

export const rewardBaseSchema = z.discriminatedUnion("kind", [
  z
    .object({
      /** The article: change of (value − value of holding the starting mix), in USD. */
      kind: z.literal("profit_vs_hold"),
    })
    .strict(),
  z
    .object({
      /** ln(V_t / V_{t−1}). */
      kind: z.literal("log_return"),
    })
    .strict(),
  z
    .object({
      /** Moody & Saffell (2001) differential Sharpe ratio of the simple returns V_t / V_{t−1} − 1. */
      kind: z.literal("differential_sharpe"),
      /** Adaptation rate η of the moving moments A (mean) and B (second moment). */
      eta: z.number().gt(0).lt(1).default(0.01),
      /** The reward is 0 while the moving variance B − A² is at or below this (start of an episode). */
      epsilon: z.number().min(0).default(1e-12),
      /** The reward is 0 for this many steps at the start of an episode while the moments settle. */
      warmup: z.number().int().min(0).default(24),
    })
    .strict(),
]);

export const rewardSchema = z
  .object({
    /** The base reward scheme. */
    base: rewardBaseSchema.prefault({ kind: "profit_vs_hold" }),
    /** λ_dd: subtracts λ_dd · (peak value − value) / peak value every step (0 = off). */
    drawdownPenalty: z.number().min(0).default(0),
    /** λ_to: subtracts λ_to · traded notional / previous value every step (0 = off). */
    turnoverPenalty: z.number().min(0).default(0),
  })
  .strict();

export const PORTFOLIO_FEATURES = ["cash_scaled", "coins_scaled", "cash_share", "coin_share", "pnl_vs_hold"] as const;
export type PortfolioFeature = (typeof PORTFOLIO_FEATURES)[number];

export const featureSourceSchema = z.discriminatedUnion("kind", [
  z
    .object({
      /** The article's 5 percentage changes ×100 of open, high, low, close, volume (src/features/pct-change.ts). */
      kind: z.literal("pct_change"),
    })
    .strict(),
  z
    .object({
      /** Any list of feature specs from the registry (src/features/registry.ts, docs/features.md). */
      kind: z.literal("specs"),
      /** The specs, computed side by side in this order. */
      specs: z.array(featureSpecSchema).min(1).readonly(),
      /** Standardisation fitted on the training rows (see `withFittedNormalization`); absent: raw features. */
      normalization: normalizationStatsSchema.optional(),
      /** Clip standardised values to [−clip, clip]; absent: no clipping. */
      clip: z.number().gt(0).optional(),
      /** Start episodes only where every feature and the whole look-back window are past their warm-up. */
      skipWarmup: z.boolean().default(true),
    })
    .strict(),
]);

export const observationSchema = z
  .object({
    /** Market features computed from the candles when no FeatureMatrix is passed to the env. */
    features: featureSourceSchema.prefault({ kind: "pct_change" }),
    /** Look-back: the observation holds the feature rows t−window+1 … t (oldest first). */
    window: z.number().int().min(1).max(4096).default(1),
    /** Rows before the first candle: "zero" fills zeros, "clamp" repeats row 0. */
    padding: z.enum(["zero", "clamp"]).default("zero"),
    /** Portfolio features appended after the market features, in this order. */
    portfolio: z.array(z.enum(PORTFOLIO_FEATURES)).readonly().default(["cash_scaled", "coins_scaled"]),
    /** cash_scaled = cash / cashScale (the article: 10,000). */
    cashScale: z.number().gt(0).default(10_000),
    /** coins_scaled = coins / coinScale (the article: 1). */
    coinScale: z.number().gt(0).default(1),
  })
  .strict();

export const envConfigSchema = z
  .object({
    /** USD in the portfolio at the start of every episode. */
    initialCash: usdAmount(10_000),
    /** Coins in the portfolio at the start of every episode. */
    initialCoins: coinAmount(1),
    /** Commission as a fraction of the traded notional (the article: 0.075%). */
    commission: z.number().min(0).lt(1).default(0.00075),
    /** Fill price model. */
    fill: fillSchema.prefault({}),
    /** Action scheme. */
    actions: actionsSchema.prefault({ kind: "reference" }),
    /** Reward scheme (base + optional penalties). */
    reward: rewardSchema.prefault({}),
    /** What the agent sees. */
    observation: observationSchema.prefault({}),
    /** Episode sampling: random training windows or the full series. */
    episode: episodeSchema.prefault({ mode: "random_window" }),
    /** Terminated (ruin) when the value falls strictly below this fraction of the episode's start value; 0 = never. */
    ruinFraction: z.number().min(0).lt(1).default(0.1),
  })
  .strict()
  .refine((c) => c.initialCash + c.initialCoins > 0, {
    message: "the starting portfolio is empty: initialCash or initialCoins must be > 0",
    path: ["initialCash"],
  });

export type EnvConfigInput = z.input<typeof envConfigSchema>;
export type EnvConfig = z.output<typeof envConfigSchema>;
export type EpisodeConfig = EnvConfig["episode"];
export type ActionsConfig = EnvConfig["actions"];
export type RewardConfig = EnvConfig["reward"];
export type ObservationConfig = EnvConfig["observation"];
export type FillConfig = EnvConfig["fill"];
