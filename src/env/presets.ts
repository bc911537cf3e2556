import type { z } from "zod";
import { RESEARCH_FEATURES } from "../features/registry.js";
import { envConfigSchema, type EnvConfig, type EnvConfigInput } from "./config.js";
import { EnvError } from "./errors.js";

/**
 * Beyond the article: the research feature set (log return, volatility, RSI, MACD, z-scores, range, calendar)
 * over a 4-hour look-back, and scale-free portfolio features. Episodes start after the features' warm-up.
 */
const RICHER_OBSERVATION = {
  features: { kind: "specs", specs: RESEARCH_FEATURES, skipWarmup: true },
  window: 4,
  padding: "clamp",
  portfolio: ["cash_share", "coin_share", "pnl_vs_hold"],
} as const satisfies EnvConfigInput["observation"];

/**
 * Named configs: the one composition point that turns a name into a configured env. `seed` is the original
 * article exactly; the others go beyond it (see docs/env.md for the formulas and the reasons).
 */
export const ENV_PRESETS = {
  /** The article: pct-change features + cash/10000 + coins, hold/buy 50%/sell 50%, fills at the close, 0.075%
   *  commission, 10,000 USD + 1 coin, reward = change of profit against holding, random 500-hour episodes, no ruin stop. */
  seed: {
    initialCash: 10_000,
    initialCoins: 1,
    commission: 0.00075,
    fill: { at: "close", slippageBps: 0 },
    actions: { kind: "reference", fraction: 0.5, minCash: 1, minCoins: 0.0001 },
    reward: { base: { kind: "profit_vs_hold" }, drawdownPenalty: 0, turnoverPenalty: 0 },
    observation: {
      features: { kind: "pct_change" },
      window: 1,
      padding: "zero",
      portfolio: ["cash_scaled", "coins_scaled"],
      cashScale: 10_000,
      coinScale: 1,
    },
    episode: { mode: "random_window", length: 500 },
    ruinFraction: 0,
  },
  /** Five target exposures (0/25/50/75/100% in coins), log-return reward, next-open fills with 5 bps slippage,
   *  the research features over a 4-hour look-back, scale-free portfolio features, a 10% ruin stop. */
  exposure: {
    initialCash: 10_000,
    initialCoins: 1,
    commission: 0.00075,
    fill: { at: "next_open", slippageBps: 5 },
    actions: { kind: "exposure_levels", levels: [0, 0.25, 0.5, 0.75, 1], minTradeUsd: 10 },
    reward: { base: { kind: "log_return" }, drawdownPenalty: 0, turnoverPenalty: 0 },
    observation: RICHER_OBSERVATION,
    episode: { mode: "random_window", length: 500 },
    ruinFraction: 0.1,
  },
  /** The article's env with the hybrid action of the second seed system: hold / buy / sell with a continuous size
   *  (a fraction of the cash or of the coins) instead of a fixed 50%. Everything else as `seed`. */
  hybrid: {
    initialCash: 10_000,
    initialCoins: 1,
    commission: 0.00075,
    fill: { at: "close", slippageBps: 0 },
    actions: { kind: "side_and_size", minCash: 1, minCoins: 0.0001 },
    reward: { base: { kind: "profit_vs_hold" }, drawdownPenalty: 0, turnoverPenalty: 0 },
    observation: {
      features: { kind: "pct_change" },
      window: 1,
      padding: "zero",
      portfolio: ["cash_scaled", "coins_scaled"],
      cashScale: 10_000,
      coinScale: 1,
    },
    episode: { mode: "random_window", length: 500 },
    ruinFraction: 0,
  },
  /** A continuous target exposure in [0, 1], log-return reward with a small drawdown penalty, next-open fills. */
  continuous: {
    initialCash: 10_000,
    initialCoins: 1,
    commission: 0.00075,
    fill: { at: "next_open", slippageBps: 5 },
    actions: { kind: "continuous_exposure", minTradeUsd: 10 },
    reward: { base: { kind: "log_return" }, drawdownPenalty: 0.001, turnoverPenalty: 0 },
    observation: RICHER_OBSERVATION,
    episode: { mode: "random_window", length: 500 },
    ruinFraction: 0.1,
  },
  /** The exposure levels rewarded by the differential Sharpe ratio (risk-adjusted, per step). */
  sharpe: {
    initialCash: 10_000,
    initialCoins: 1,
    commission: 0.00075,
    fill: { at: "next_open", slippageBps: 5 },
    actions: { kind: "exposure_levels", levels: [0, 0.25, 0.5, 0.75, 1], minTradeUsd: 10 },
    reward: { base: { kind: "differential_sharpe", eta: 0.01, warmup: 24 }, drawdownPenalty: 0, turnoverPenalty: 0 },
    observation: RICHER_OBSERVATION,
    episode: { mode: "random_window", length: 500 },
    ruinFraction: 0.1,
  },
} as const satisfies Record<string, EnvConfigInput>;

export type EnvPresetName = keyof typeof ENV_PRESETS;
export const ENV_PRESET_NAMES = Object.keys(ENV_PRESETS) as EnvPresetName[];

/** Every field optional, recursively (arrays are replaced whole, so they stay as they are). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * What `resolveEnvConfig` accepts: a preset name; a preset plus overrides of any of its fields, at any
 * depth; or a plain config input (schema defaults).
 */
export type EnvConfigRequest =
  | EnvPresetName
  | (DeepPartial<EnvConfigInput> & { /** Start from this preset; fields given override it. */ readonly preset: EnvPresetName })
  | (EnvConfigInput & { readonly preset?: undefined });

export function isEnvPresetName(name: string): name is EnvPresetName {
  return Object.prototype.hasOwnProperty.call(ENV_PRESETS, name);
}

/**
 * Validates a config once, at the edge. `resolveEnvConfig("seed")`, `resolveEnvConfig({ preset: "seed",
 * episode: { mode: "full" } })` (a preset with overrides: nested objects merge, arrays and objects whose
 * `kind`/`mode` changes are replaced), or a plain input (schema defaults). Throws EnvError "invalid_config"
 * naming the first field that broke.
 */
export function resolveEnvConfig(request: EnvConfigRequest = {}): EnvConfig {
  let input: unknown;
  if (typeof request === "string") {
    if (!isEnvPresetName(request)) throw unknownPreset(request);
    input = ENV_PRESETS[request];
  } else {
    const { preset, ...overrides } = request;
    if (preset === undefined) input = overrides;
    else {
      if (!isEnvPresetName(preset)) throw unknownPreset(preset);
      input = mergeConfigInput(ENV_PRESETS[preset], overrides);
    }
  }
  const parsed = envConfigSchema.safeParse(input);
  if (!parsed.success) throw configError(parsed.error);
  return parsed.data;
}

function unknownPreset(name: string): EnvError {
  return new EnvError("invalid_config", `unknown preset "${name}": expected one of ${ENV_PRESET_NAMES.join(", ")}`, "preset");
}

function configError(error: z.ZodError): EnvError {
  const issue = error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.map(String).join(".");
  return new EnvError("invalid_config", issue?.message ?? "invalid config", field);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/** Deep merge of config inputs: `over` wins; a changed discriminator (`kind`, `mode`) replaces the whole object. */
export function mergeConfigInput(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  for (const disc of ["kind", "mode"]) {
    if (disc in over && over[disc] !== base[disc]) return over;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfigInput(base[k], v);
  return out;
}
