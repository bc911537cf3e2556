/**
 * Features are computed causally into one row-major matrix: row t depends only on candle rows 0…t.
 * The env reads observation rows from it; training, backtest and live trading share this one code path.
 */
export interface FeatureMatrix {
  /** Column names, e.g. ["open_pct", "high_pct", "low_pct", "close_pct", "volume_pct"]. */
  readonly names: readonly string[];
  readonly rows: number;
  readonly cols: number;
  /** rows × cols, row-major: value of feature j at row t is values[t * cols + j]. */
  readonly values: Float64Array;
}

export function featureAt(m: FeatureMatrix, row: number, col: number): number {
  return m.values[row * m.cols + col]!;
}
