import type { Candles } from "../data/candles.js";
import { sliceCandles } from "../data/candles.js";
import { FeatureError } from "./errors.js";
import type { FeatureMatrix } from "./feature-matrix.js";

/**
 * A feature of your own, outside the registry: a name, its column names and a function of the candles. It must
 * be causal (row t reads candle rows ≤ t) and finite on every row (hold a neutral value during a warm-up, as
 * the registry's features do). `assertCausal` checks the first on the data it is given; train() runs it.
 */
export interface CustomFeature {
  /** Recorded in the checkpoint's manifest; a loader must be given a feature of the same name and columns. */
  readonly name: string;
  /** Column names, in the order `compute` returns them (they become observation labels). */
  readonly columns: readonly string[];
  /** One Float64Array per column, one value per candle row. */
  compute(candles: Candles): readonly Float64Array[];
}

/** What a manifest records of a custom feature. */
export interface CustomFeatureRecord {
  readonly name: string;
  readonly columns: readonly string[];
}

export function customFeatureRecord(f: CustomFeature): CustomFeatureRecord {
  return { name: f.name, columns: [...f.columns] };
}

function columnsOf(f: CustomFeature, candles: Candles): readonly Float64Array[] {
  const cols = f.compute(candles);
  if (cols.length !== f.columns.length) {
    throw new FeatureError("invalid_spec", `custom feature "${f.name}"`, `${f.columns.length} columns (${f.columns.join(", ")})`, `${cols.length}`);
  }
  cols.forEach((col, j) => {
    if (col.length !== candles.length) throw new FeatureError("invalid_spec", `${f.columns[j]!}`, `${candles.length} values (one per candle)`, `${col.length}`);
    for (let t = 0; t < col.length; t++) {
      if (!Number.isFinite(col[t]!)) throw new FeatureError("non_finite", `${f.columns[j]!}[${t}]`, "a finite feature value", String(col[t]));
    }
  });
  return cols;
}

/** `base` with the custom features' columns appended (names must stay unique). */
export function appendCustomFeatures(base: FeatureMatrix, candles: Candles, features: readonly CustomFeature[]): FeatureMatrix {
  if (features.length === 0) return base;
  const extra = features.flatMap((f) => columnsOf(f, candles));
  const names = [...base.names, ...features.flatMap((f) => f.columns)];
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new FeatureError("duplicate_name", n, "each feature column once", `"${n}" twice`);
    seen.add(n);
  }
  const cols = names.length;
  const values = new Float64Array(base.rows * cols);
  for (let t = 0; t < base.rows; t++) {
    for (let j = 0; j < base.cols; j++) values[t * cols + j] = base.values[t * base.cols + j]!;
    for (let j = 0; j < extra.length; j++) values[t * cols + base.cols + j] = extra[j]![t]!;
  }
  return { names, rows: base.rows, cols, values };
}

/**
 * Throws FeatureError("look_ahead") when computing the feature on the first n rows gives other values on those
 * rows than computing it on all of them (it read a later row), at a few cut points spread over the candles.
 */
export function assertCausal(f: CustomFeature, candles: Candles, cuts = 3): void {
  const full = columnsOf(f, candles);
  for (let k = 1; k <= cuts; k++) {
    const n = Math.max(2, Math.floor((candles.length * k) / (cuts + 1)));
    const part = columnsOf(f, sliceCandles(candles, 0, n));
    for (let j = 0; j < part.length; j++) {
      for (let t = 0; t < n; t++) {
        if (!Object.is(part[j]![t], full[j]![t])) {
          throw new FeatureError("look_ahead", `${f.columns[j]!}[${t}]`, `the value computed from rows ≤ ${t} only (${part[j]![t]})`, `${full[j]![t]} with later rows present`);
        }
      }
    }
  }
}
