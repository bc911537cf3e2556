/**
 * Running standardisation of observations (as Gymnasium's NormalizeObservation / SB3's VecNormalize): mean and
 * variance per element, merged batch by batch (Chan et al.'s parallel update), applied as
 * clip((x − mean) / √(var + 1e-8), ±clip). Fitted during training; frozen and saved in the checkpoint, so that
 * evaluation and live trading see the same scaling as the last update.
 */
export interface ObservationNormStats {
  readonly mean: readonly number[];
  readonly variance: readonly number[];
  readonly count: number;
}

export class RunningObservationNorm {
  readonly size: number;
  readonly clip: number;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  /** Starts at 1e-4 (a pseudo-count, as Gymnasium's RunningMeanStd) so that the first batch dominates. */
  private count = 1e-4;

  constructor(size: number, clip: number, stats?: ObservationNormStats) {
    this.size = size;
    this.clip = clip;
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
    if (stats) {
      if (stats.mean.length !== size || stats.variance.length !== size) {
        throw new RangeError(`normalisation statistics have ${stats.mean.length} elements, expected ${size}`);
      }
      this.mean.set(stats.mean);
      this.variance.set(stats.variance);
      this.count = stats.count;
    }
  }

  /** Merges `rows` observations (row-major) into the statistics. */
  update(x: Float32Array, rows: number): void {
    const n = this.size;
    const total = this.count + rows;
    for (let j = 0; j < n; j++) {
      let m = 0;
      for (let r = 0; r < rows; r++) m += x[r * n + j]!;
      m /= rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (x[r * n + j]! - m) ** 2;
      v /= rows;
      const delta = m - this.mean[j]!;
      this.mean[j] = this.mean[j]! + (delta * rows) / total;
      const m2 = this.variance[j]! * this.count + v * rows + (delta * delta * this.count * rows) / total;
      this.variance[j] = m2 / total;
    }
    this.count = total;
  }

  /** Writes the standardised, clipped row `row` of `src` into row `dstRow` of `dst`. */
  normalize(src: Float32Array, row: number, dst: Float32Array, dstRow: number): void {
    const n = this.size;
    for (let j = 0; j < n; j++) {
      const z = (src[row * n + j]! - this.mean[j]!) / Math.sqrt(this.variance[j]! + 1e-8);
      dst[dstRow * n + j] = z > this.clip ? this.clip : z < -this.clip ? -this.clip : z;
    }
  }

  stats(): ObservationNormStats {
    return { mean: Array.from(this.mean), variance: Array.from(this.variance), count: this.count };
  }
}
