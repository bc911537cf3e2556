import { z } from "zod";
import { episodeSchema, featureSourceSchema, fillSchema, rewardSchema } from "../env/config.js";
import { EnvError } from "../env/errors.js";
import { usd } from "../env/units.js";
import type { FeatureSpecInput } from "../features/registry.js";

/**
 * The portfolio env's one typed config. The pieces shared with the single-asset env (fills, rewards,
 * features, episodes) are the env's own schemas, so a field means the same thing in both; what is new is
 * the action scheme over target weights and the portfolio part of the observation. Formulas in
 * docs/portfolio.md.
 */

const minTradeUsd = z.number().min(0).transform(usd).default(usd(10));
/**
 * No-trade band: a leg trades only when the asset's weight is more than this away from its target, so that a
 * held target is not chased bar after bar as prices drift (each chase pays the commission).
 */
const band = z.number().min(0).max(1).default(0.02);

export const portfolioActionsSchema = z.discriminatedUnion("kind", [
  z
    .object({
      /**
       * One categorical action per combination of per-asset target weights taken from `levels` whose sum is
       * at most 1 (the rest is cash): the categorical LSTM-PPO agent trains on it.
       */
      kind: z.literal("weight_levels"),
      /** Target weight levels of each asset, each in [0, 1]. */
      levels: z.array(z.number().min(0).max(1)).min(2).readonly().default([0, 0.5, 1]),
      /** A leg (one asset's trade) executes only if its notional is strictly above this (USD). */
      minTradeUsd,
      band,
    })
    .strict(),
  z
    .object({
      /** A box of one target weight per asset, each clipped to [0, 1], scaled down to sum 1 when above. */
      kind: z.literal("target_weights"),
      minTradeUsd,
      band,
    })
    .strict(),
  z
    .object({
      /** A box of K + 1 logits (assets, then cash): the weights are their softmax (a Gaussian head's natural output). */
      kind: z.literal("softmax_weights"),
      minTradeUsd,
      band,
    })
    .strict(),
]);

export const PORTFOLIO_OBSERVATION_FEATURES = ["asset_weights", "cash_share", "pnl_vs_hold"] as const;
export type PortfolioObservationFeature = (typeof PORTFOLIO_OBSERVATION_FEATURES)[number];

/** The default market features of each asset: scale-free, short warm-ups. */
export const PORTFOLIO_DEFAULT_SPECS: readonly FeatureSpecInput[] = [
  { kind: "log_return", columns: ["close"] },
  { kind: "volatility", window: 24 },
  { kind: "rsi", window: 14 },
  { kind: "zscore", column: "close", window: 48 },
];

export const portfolioObservationSchema = z
  .object({
    /** Market features of every asset, computed on each asset's own aligned series and named "<symbol>:<feature>". */
    features: featureSourceSchema.prefault({ kind: "specs", specs: PORTFOLIO_DEFAULT_SPECS }),
    /** Look-back: the observation holds the feature rows t−window+1 … t (oldest first). */
    window: z.number().int().min(1).max(4096).default(1),
    /** Rows before the first candle: "zero" fills zeros, "clamp" repeats row 0. */
    padding: z.enum(["zero", "clamp"]).default("zero"),
    /**
     * Portfolio features after the market features: asset_weights = each asset's share of the value (K values),
     * cash_share, pnl_vs_hold = (value − benchmark) / benchmark with the equal-weight buy-and-hold benchmark.
     */
    portfolio: z.array(z.enum(PORTFOLIO_OBSERVATION_FEATURES)).readonly().default(["asset_weights", "cash_share", "pnl_vs_hold"]),
  })
  .strict();

export const portfolioConfigSchema = z
  .object({
    /** USD at the start of every episode; the portfolio starts in cash. */
    initialCash: z.number().gt(0).transform(usd).default(usd(10_000)),
    /** Commission as a fraction of every leg's notional (the article: 0.075%). */
    commission: z.number().min(0).lt(1).default(0.00075),
    /** Fill price model of every leg (the single-asset env's). */
    fill: fillSchema.prefault({}),
    /** Action scheme: target weights, categorical or continuous. */
    actions: portfolioActionsSchema.prefault({ kind: "weight_levels" }),
    /**
     * Reward (the single-asset env's schemes): log_return = ln(V_t / V_{t−1}) of the portfolio; profit_vs_hold =
     * change of (V − H) with H the equal-weight buy-and-hold benchmark; differential_sharpe; penalties.
     */
    reward: rewardSchema.prefault({ base: { kind: "log_return" } }),
    observation: portfolioObservationSchema.prefault({}),
    /** Episode sampling (the single-asset env's): random windows for training, the full series for backtests. */
    episode: episodeSchema.prefault({ mode: "random_window" }),
    /** Terminated (ruin) when the value falls strictly below this fraction of the start value; 0 = never. */
    ruinFraction: z.number().min(0).lt(1).default(0.1),
  })
  .strict();

export type PortfolioConfigInput = z.input<typeof portfolioConfigSchema>;
export type PortfolioConfig = z.output<typeof portfolioConfigSchema>;
export type PortfolioActionsConfig = PortfolioConfig["actions"];

/** Validates once at the edge; throws EnvError("invalid_config") naming the field. Idempotent on a resolved config. */
export function resolvePortfolioConfig(input: PortfolioConfigInput | PortfolioConfig = {}): PortfolioConfig {
  const parsed = portfolioConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvError("invalid_config", issue.message, issue.path.join(".") || "(root)");
  }
  return parsed.data;
}
