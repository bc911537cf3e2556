import { z } from "zod";
import type { Candles } from "../data/candles.js";
import { OHLCV_COLUMNS } from "../data/candles.js";
import { candleShape, rangePct } from "./bar-shape.js";
import { calendarFeatures } from "./calendar.js";
import { FeatureError } from "./errors.js";
import type { FeatureMatrix } from "./feature-matrix.js";
import { logReturn, logReturnOver } from "./log-return.js";
import { macd, macdWarmup } from "./macd.js";
import { pctChange } from "./pct-change.js";
import { RSI_WARMUP_VALUE, rsi } from "./rsi.js";
import { rollingVolatility } from "./volatility.js";
import { laggedCopies, volumeFlow, volumeFlowWarmup } from "./volume-flow.js";
import { rollingZScore, smaGap } from "./zscore.js";

/**
 * The feature registry: every feature the env can observe, as a validated spec, with stable column names and
 * an explicit warm-up. All features are causal (row t reads candle rows ≤ t) and finite on every row: warm-up
 * rows hold the feature's neutral value (0, or 50 for RSI). Formulas: docs/features.md.
 */

const column = z.enum(OHLCV_COLUMNS);
const windowOf = (fallback: number, min: number) => z.number().int().min(min).max(100_000).default(fallback);

const BASE_FEATURE_SPECS = [
  z
    .object({
      /** Percentage change ×100 vs the previous row (the article's features); names `<col>_pct`. */
      kind: z.literal("pct_change"),
      /** Columns to transform, in order. */
      columns: z.array(column).min(1).default([...OHLCV_COLUMNS]),
    })
    .strict(),
  z
    .object({
      /** ln(x_t / x_{t−1}); names `<col>_logret`. */
      kind: z.literal("log_return"),
      /** Columns to transform, in order (default: the close only). */
      columns: z.array(column).min(1).default(["close"]),
    })
    .strict(),
  z
    .object({
      /** Log returns of one column over several horizons, ln(x_t / x_{t−h}); names `<col>_ret_<h>`; 0 until the longest horizon. */
      kind: z.literal("returns"),
      /** Column to transform. */
      column: column.default("close"),
      /** Horizons in rows, e.g. [1, 4, 12, 24, 48]. */
      horizons: z.array(z.number().int().min(1).max(100_000)).min(1).readonly().default([1, 4, 12, 24, 48]),
    })
    .strict(),
  z
    .object({
      /** Rolling z-score of one column over `window` rows; name `<col>_z<window>`. */
      kind: z.literal("zscore"),
      /** Column to standardise. */
      column: column.default("close"),
      /** Rows in the window (current row included). */
      window: windowOf(24, 2),
    })
    .strict(),
  z
    .object({
      /** Wilder's RSI of the close, 0 … 100; name `rsi_<window>`. */
      kind: z.literal("rsi"),
      /** Smoothing period. */
      window: windowOf(14, 1),
    })
    .strict(),
  z
    .object({
      /** MACD line, signal and histogram in percent of the close; names `macd_…`, `macd_signal_…`, `macd_hist_…`. */
      kind: z.literal("macd"),
      /** Span of the fast EMA. */
      fast: windowOf(12, 1),
      /** Span of the slow EMA (> fast). */
      slow: windowOf(26, 2),
      /** Span of the signal EMA of the line. */
      signal: windowOf(9, 1),
    })
    .strict()
    .refine((s) => s.fast < s.slow, { message: "macd needs fast < slow", path: ["slow"] }),
  z
    .object({
      /** Rolling std of the close's log returns over `window` returns, per bar; name `vol_<window>`. */
      kind: z.literal("volatility"),
      /** Returns in the window. */
      window: windowOf(24, 2),
    })
    .strict(),
  z
    .object({
      /** (close / SMA − 1) × 100; name `sma_gap_<window>`. */
      kind: z.literal("sma_gap"),
      /** Rows in the moving average (current row included). */
      window: windowOf(24, 2),
    })
    .strict(),
  z
    .object({
      /** (high − low) / close × 100; name `range_pct`. */
      kind: z.literal("range"),
    })
    .strict(),
  z
    .object({
      /** Body and wicks in percent of the open; names `body_pct`, `upper_wick_pct`, `lower_wick_pct`. */
      kind: z.literal("candle_shape"),
    })
    .strict(),
  z
    .object({
      /** Hour of day and day of week (UTC) on the unit circle; names `hour_sin`, `hour_cos`, `weekday_sin`, `weekday_cos`. */
      kind: z.literal("calendar"),
    })
    .strict(),
  z
    .object({
      /**
       * Signed volume flow: each bar's log return (percent) weighted by its volume over the mean volume of the
       * last `volumeWindow` bars, summed over the last `window` bars; name `flow_<window>`. Heavy bars dominate
       * with their sign: the flow remembers in which direction a volume spike went.
       */
      kind: z.literal("flow"),
      /** Bars summed (current bar included). */
      window: windowOf(12, 1),
      /** Bars of the volume mean a bar's volume is divided by (current bar included). */
      volumeWindow: windowOf(48, 2),
    })
    .strict(),
] as const;

/** The specs a `lags` spec can copy (every kind except `lags` itself). */
export const baseFeatureSpecSchema = z.discriminatedUnion("kind", [...BASE_FEATURE_SPECS]);

export const featureSpecSchema = z.discriminatedUnion("kind", [
  ...BASE_FEATURE_SPECS,
  z
    .object({
      /**
       * Lagged copies of another spec's columns: the value of each column `lag` rows ago, for each lag; names
       * `<column>_lag<lag>`. The memory is in the observation: a policy sees what happened a day ago without
       * having to carry it through its recurrent state. All copies hold the neutral value until the base
       * spec's warm-up plus the longest lag.
       */
      kind: z.literal("lags"),
      /** The spec whose columns are copied. */
      of: baseFeatureSpecSchema,
      /** Lags in rows (0 = the current value), e.g. [12, 24, 36, 48]. */
      lags: z.array(z.number().int().min(0).max(100_000)).min(1).readonly(),
    })
    .strict(),
]);

/** A spec `lags` can copy, resolved. */
type BaseFeatureSpec = z.output<typeof baseFeatureSpecSchema>;

/** A spec as users write it (defaults optional). */
export type FeatureSpecInput = z.input<typeof featureSpecSchema>;
/** A resolved spec (every default filled in). */
export type FeatureSpec = z.output<typeof featureSpecSchema>;
export type FeatureKind = FeatureSpec["kind"];

/** Every kind the registry knows, in declaration order (tests iterate over it). */
export const FEATURE_KINDS: readonly FeatureKind[] = featureSpecSchema.options.map((o) => o.shape.kind.value);

/** The article's observation: percentage change ×100 of open, high, low, close and volume. */
export const SEED_FEATURES: readonly FeatureSpecInput[] = [{ kind: "pct_change", columns: [...OHLCV_COLUMNS] }];

/** A broader default set for research: returns, trend, momentum, volatility, volume, bar shape and time. */
export const RESEARCH_FEATURES: readonly FeatureSpecInput[] = [
  { kind: "log_return", columns: ["close"] },
  { kind: "volatility", window: 24 },
  { kind: "rsi", window: 14 },
  { kind: "macd", fast: 12, slow: 26, signal: 9 },
  { kind: "zscore", column: "close", window: 48 },
  { kind: "zscore", column: "volume", window: 48 },
  { kind: "range" },
  { kind: "calendar" },
];

/** Validates specs once; a bad one throws {@link FeatureError} `invalid_spec` naming `specs[i].field`. */
export function resolveFeatureSpecs(specs: readonly FeatureSpecInput[]): FeatureSpec[] {
  return specs.map((spec, i) => {
    const parsed = featureSpecSchema.safeParse(spec);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    throw new FeatureError(
      "invalid_spec",
      `specs[${i}]${path ? "." + path : ""}`,
      issue?.message ?? "a valid feature spec",
      JSON.stringify(spec),
    );
  });
}

/** Column names one resolved spec produces, in order. */
export function specNames(spec: FeatureSpec): string[] {
  switch (spec.kind) {
    case "pct_change":
      return spec.columns.map((c) => `${c}_pct`);
    case "log_return":
      return spec.columns.map((c) => `${c}_logret`);
    case "returns":
      return spec.horizons.map((h) => `${spec.column}_ret_${h}`);
    case "zscore":
      return [`${spec.column}_z${spec.window}`];
    case "rsi":
      return [`rsi_${spec.window}`];
    case "macd": {
      const tag = `${spec.fast}_${spec.slow}_${spec.signal}`;
      return [`macd_${tag}`, `macd_signal_${tag}`, `macd_hist_${tag}`];
    }
    case "volatility":
      return [`vol_${spec.window}`];
    case "sma_gap":
      return [`sma_gap_${spec.window}`];
    case "range":
      return ["range_pct"];
    case "candle_shape":
      return ["body_pct", "upper_wick_pct", "lower_wick_pct"];
    case "calendar":
      return ["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"];
    case "flow":
      return [`flow_${spec.window}`];
    case "lags":
      return specNames(spec.of).flatMap((name) => spec.lags.map((lag) => `${name}_lag${lag}`));
  }
}

/** Leading rows of one spec that hold the warm-up value instead of a computed one. */
export function specWarmup(spec: FeatureSpec): number {
  switch (spec.kind) {
    case "pct_change":
    case "log_return":
      return 1;
    case "returns":
      return Math.max(...spec.horizons);
    case "zscore":
    case "sma_gap":
      return spec.window - 1;
    case "rsi":
    case "volatility":
      return spec.window;
    case "macd":
      return macdWarmup(spec.slow, spec.signal);
    case "range":
    case "candle_shape":
    case "calendar":
      return 0;
    case "flow":
      return volumeFlowWarmup(spec.window, spec.volumeWindow);
    case "lags":
      return specWarmup(spec.of) + Math.max(...spec.lags);
  }
}

/** The value a spec's columns hold during its warm-up. */
function warmupValue(spec: BaseFeatureSpec): number {
  return spec.kind === "rsi" ? RSI_WARMUP_VALUE : 0;
}

/** The columns of one spec, in {@link specNames} order. */
function computeSpec(c: Candles, spec: FeatureSpec): Float64Array[] {
  if (spec.kind === "lags") {
    const warmup = specWarmup(spec.of);
    return computeBaseSpec(c, spec.of).flatMap((x) => laggedCopies(x, spec.lags, warmup, warmupValue(spec.of)));
  }
  return computeBaseSpec(c, spec);
}

function computeBaseSpec(c: Candles, spec: BaseFeatureSpec): Float64Array[] {
  switch (spec.kind) {
    case "pct_change":
      return spec.columns.map((col) => pctChange(c[col]));
    case "log_return":
      return spec.columns.map((col) => logReturn(c[col]));
    case "returns": {
      // One warm-up for the spec's columns: every horizon holds 0 until the longest one is computed.
      const longest = Math.max(...spec.horizons);
      return spec.horizons.map((h) => logReturnOver(c[spec.column], h).fill(0, 0, Math.min(longest, c.length)));
    }
    case "zscore":
      return [rollingZScore(c[spec.column], spec.window)];
    case "rsi":
      return [rsi(c.close, spec.window)];
    case "macd": {
      const m = macd(c.close, spec.fast, spec.slow, spec.signal);
      return [m.line, m.signal, m.histogram];
    }
    case "volatility":
      return [rollingVolatility(c.close, spec.window)];
    case "sma_gap":
      return [smaGap(c.close, spec.window)];
    case "range":
      return [rangePct(c)];
    case "candle_shape": {
      const s = candleShape(c);
      return [s.body, s.upperWick, s.lowerWick];
    }
    case "calendar": {
      const k = calendarFeatures(c.timestamp);
      return [k.hourSin, k.hourCos, k.weekdaySin, k.weekdayCos];
    }
    case "flow":
      return [volumeFlow(c.close, c.volume, spec.window, spec.volumeWindow)];
  }
}

/** All column names of a list of specs, in order; throws `duplicate_name` when two columns share a name. */
export function featureNames(specs: readonly FeatureSpecInput[]): string[] {
  const names = resolveFeatureSpecs(specs).flatMap(specNames);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new FeatureError("duplicate_name", name, "each feature column once", `"${name}" twice`);
    seen.add(name);
  }
  return names;
}

/**
 * Rows at the start of the series where at least one feature is still warming up: observations from this row
 * on are fully computed. Use it as the first usable row of an episode and of the normalisation fit.
 */
export function featureWarmup(specs: readonly FeatureSpecInput[]): number {
  return resolveFeatureSpecs(specs).reduce((w, s) => Math.max(w, specWarmup(s)), 0);
}

/**
 * Computes the specs' columns side by side into one row-major {@link FeatureMatrix} (one row per candle).
 * Throws `invalid_spec`, `duplicate_name`, or `non_finite` when a value is not finite (bad candles such as a
 * zero price; valid candles never produce one).
 */
export function computeFeatures(candles: Candles, specs: readonly FeatureSpecInput[]): FeatureMatrix {
  const names = featureNames(specs);
  const columns = resolveFeatureSpecs(specs).flatMap((s) => computeSpec(candles, s));
  const rows = candles.length;
  const cols = columns.length;
  const values = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const col = columns[j]!;
    for (let t = 0; t < rows; t++) {
      const v = col[t]!;
      if (!Number.isFinite(v)) {
        throw new FeatureError("non_finite", `${names[j]!}[${t}]`, "a finite feature value (check the candles at that row)", String(v));
      }
      values[t * cols + j] = v;
    }
  }
  return { names, rows, cols, values };
}
