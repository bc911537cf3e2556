import { z } from "zod";
import { FeatureError } from "./errors.js";
import type { FeatureMatrix } from "./feature-matrix.js";

/**
 * Per-column standardisation (x − mean) / std, fitted on the TRAINING rows only and then applied unchanged
 * to every row (train, test, live). Fitting on the whole series would let the scaler see the test period's
 * level and spread — information from the future (docs/features.md). The stats are plain JSON: a checkpoint
 * saves them and the backtest / live trader loads them, so every stage scales exactly the same way.
 */

export const normalizationStatsSchema = z
  .object({
    /** Format version of this object. */
    version: z.literal(1),
    /** Feature names the stats were fitted on, in column order. */
    names: z.array(z.string()).min(1),
    /** Per-column mean over the fitted rows. */
    mean: z.array(z.number().finite()),
    /** Per-column population std (divisor N) over the fitted rows; 0 for a constant column. */
    std: z.array(z.number().finite().min(0)),
    /** The fitted row range [start, end) of the matrix. */
    rows: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  })
  .strict()
  .refine((s) => s.mean.length === s.names.length && s.std.length === s.names.length, {
    message: "names, mean and std must have the same length",
  });

export type NormalizationStats = z.output<typeof normalizationStatsSchema>;

export interface FitNormalizationOptions {
  /** Rows [start, end) to fit on: the training split (after the features' warm-up). */
  readonly rows: readonly [number, number];
}

/**
 * Mean and population std of each column over rows [start, end). Throws `bad_rows` for an empty or
 * out-of-range window and `non_finite` for a NaN / ±Infinity inside it.
 */
export function fitNormalization(matrix: FeatureMatrix, options: FitNormalizationOptions): NormalizationStats {
  const [start, end] = options.rows;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= matrix.rows && start < end)) {
    throw new FeatureError("bad_rows", "rows", `integers 0 ≤ start < end ≤ ${matrix.rows}`, `[${start}, ${end})`);
  }
  const { cols, values } = matrix;
  const count = end - start;
  const mean = new Array<number>(cols).fill(0);
  const std = new Array<number>(cols).fill(0);
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let t = start; t < end; t++) {
      const v = values[t * cols + j]!;
      if (!Number.isFinite(v)) {
        throw new FeatureError("non_finite", `${matrix.names[j]}[${t}]`, "finite feature values in the fitted rows", String(v));
      }
      sum += v;
    }
    const m = sum / count;
    // Two passes: the squared deviations from the exact mean (no cancellation from Σx² − N·m²).
    let ss = 0;
    for (let t = start; t < end; t++) {
      const d = values[t * cols + j]! - m;
      ss += d * d;
    }
    mean[j] = m;
    std[j] = Math.sqrt(ss / count);
  }
  return { version: 1, names: [...matrix.names], mean, std, rows: [start, end] };
}

export interface ApplyNormalizationOptions {
  /** Clip every normalised value to [−clip, clip] (e.g. 10, to tame crash bars); default: no clipping. */
  readonly clip?: number;
}

/**
 * A new matrix with every column standardised by the fitted stats: (x − mean) / std, or x − mean for a
 * column that was constant on the fitted rows (std 0). Refuses (`names_mismatch`) a matrix whose feature
 * names or order differ from the fitted ones: the same numbers would silently mean other features.
 */
export function applyNormalization(
  matrix: FeatureMatrix,
  stats: NormalizationStats,
  options: ApplyNormalizationOptions = {},
): FeatureMatrix {
  assertSameNames(matrix.names, stats.names);
  const clip = options.clip ?? Infinity;
  if (!(clip > 0)) throw new RangeError(`clip must be > 0, got ${clip}`);
  const { rows, cols, values } = matrix;
  const out = new Float64Array(values.length);
  for (let j = 0; j < cols; j++) {
    const m = stats.mean[j]!;
    const s = stats.std[j]! > 0 ? stats.std[j]! : 1;
    for (let t = 0; t < rows; t++) {
      const z = (values[t * cols + j]! - m) / s;
      out[t * cols + j] = z > clip ? clip : z < -clip ? -clip : z;
    }
  }
  return { names: [...matrix.names], rows, cols, values: out };
}

/** Validates stats read from JSON (a checkpoint); throws `bad_stats` naming the first bad field. */
export function parseNormalizationStats(json: unknown): NormalizationStats {
  const parsed = normalizationStatsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join(".") ?? "";
  throw new FeatureError("bad_stats", `stats${path ? "." + path : ""}`, issue?.message ?? "normalisation stats", typeof json);
}

function assertSameNames(got: readonly string[], expected: readonly string[]): void {
  const n = Math.max(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== expected[i]) {
      throw new FeatureError(
        "names_mismatch",
        `names[${i}]`,
        `the fitted features [${expected.join(", ")}] (column ${i}: ${expected[i] ?? "none"})`,
        `[${got.join(", ")}] (column ${i}: ${got[i] ?? "none"})`,
      );
    }
  }
}
