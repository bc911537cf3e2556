import { z } from "zod";
import { TradingError } from "../errors.js";

/**
 * The risk manager's limits: one typed config, every field defaulted and documented, validated once at the edge.
 * Durations are in ms of market time (the decision bar's close), so a backtest and a live run apply them alike.
 * A limit set to null is off. Presets: `off` (nothing binds: a plain backtest) and `standard` (paper and live).
 */
const fraction = z.number().min(0).max(1);
const positiveFraction = z.number().gt(0).max(1);
const duration = z.number().int().min(0).max(365 * 86_400_000);

export const riskLimitsSchema = z
  .object({
    /** Each entry (buy) spends at most this share of the portfolio value (R9). Exits are never capped. */
    maxTradeFraction: positiveFraction.default(1),
    /** After an entry the coins are at most this share of the portfolio value (R9). */
    maxExposure: fraction.default(1),
    /** Entries are locked for the rest of the UTC day once the value fell this share below the day's first value. */
    dailyLossLimit: positiveFraction.nullable().default(null),
    /** Entries are locked for `drawdownLockMs` once the value is this share below its running peak (R10). */
    maxDrawdown: positiveFraction.nullable().default(null),
    /** How long a drawdown lock lasts. */
    drawdownLockMs: duration.default(86_400_000),
    /** Kill switch (R11): the trader stops (no new orders, open ones cancelled) once the value is this share below the session's start value; a manual start is required. */
    killSwitchLoss: positiveFraction.nullable().default(null),
    /** Losing-streak guard (R10): this many losing exits within `losingStreakLookbackMs` lock entries for `losingStreakLockMs`. */
    losingStreak: z.number().int().min(1).nullable().default(null),
    losingStreakLookbackMs: duration.default(86_400_000),
    losingStreakLockMs: duration.default(43_200_000),
    /** Cooldown (R10): entries are locked this long after any exit (0: off). */
    cooldownMs: duration.default(0),
    /** At most this many orders (entries and exits) in any rolling hour; null: no limit. */
    maxOrdersPerHour: z.number().int().min(1).nullable().default(null),
    /** After this many ticks in a row without a valid valuation the trader raises an alert (entries are blocked from the first one, R11). */
    alertAfterFailedChecks: z.number().int().min(1).default(3),
  })
  .strict();

export type RiskLimitsInput = z.input<typeof riskLimitsSchema>;
export type RiskLimits = z.output<typeof riskLimitsSchema>;

export const RISK_PRESETS = {
  /** Nothing binds: the agent's orders pass as they are (the research backtest). */
  off: {},
  /** A conservative start for paper and live runs; tune per market. */
  standard: {
    maxTradeFraction: 0.25,
    maxExposure: 1,
    dailyLossLimit: 0.05,
    maxDrawdown: 0.15,
    drawdownLockMs: 86_400_000,
    killSwitchLoss: 0.25,
    losingStreak: 4,
    losingStreakLookbackMs: 86_400_000,
    losingStreakLockMs: 43_200_000,
    cooldownMs: 0,
    maxOrdersPerHour: 12,
    alertAfterFailedChecks: 3,
  },
} as const satisfies Record<string, RiskLimitsInput>;
export type RiskPresetName = keyof typeof RISK_PRESETS;
export const RISK_PRESET_NAMES = Object.keys(RISK_PRESETS) as RiskPresetName[];

/** A preset name, or a preset plus overrides, or a plain input; validated here. */
export type RiskLimitsRequest = RiskPresetName | (RiskLimitsInput & { readonly preset?: RiskPresetName });

export function resolveRiskLimits(request: RiskLimitsRequest = "off"): RiskLimits {
  const input = typeof request === "string" ? RISK_PRESETS[request] : { ...(request.preset ? RISK_PRESETS[request.preset] : {}), ...omitPreset(request) };
  const parsed = riskLimitsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new TradingError("invalid_config", issue.message, `risk.${issue.path.map(String).join(".")}`);
}

function omitPreset(r: RiskLimitsInput & { readonly preset?: RiskPresetName }): RiskLimitsInput {
  const { preset: _preset, ...rest } = r;
  return rest;
}

/** What the exchange allows for one market (ccxt's market precision and limits); 0 = no constraint. */
export interface MarketRules {
  /** Amounts are whole multiples of this (coins); 0: any amount. */
  readonly amountStep: number;
  /** Quote amounts (a buy's cost) are whole multiples of this; 0: any cost. */
  readonly costStep: number;
  /** Smallest order amount (coins). */
  readonly minAmount: number;
  /** Smallest order notional (quote currency). */
  readonly minNotional: number;
}

export const NO_MARKET_RULES: MarketRules = { amountStep: 0, costStep: 0, minAmount: 0, minNotional: 0 };
