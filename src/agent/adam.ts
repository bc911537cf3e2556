import type { AdamSettings, OptimizerState } from "./engine.js";

/**
 * One clipped Adam step over the float64 arrays of the fused and simd engines, in place (the tfjs engine does the
 * same arithmetic with tf ops): the global L2 norm of `g`; `g` scaled by maxGradNorm / (norm + 1e-6) when that is
 * below 1 (PyTorch's `clip_grad_norm_`); then Adam, its bias corrections folded into the step size and the
 * denominator. `step` is this step's 1-based number. Returns the norm before clipping.
 */
export function clippedAdamStep(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  step: number,
  learningRate: number,
  maxGradNorm: number | null,
  adam: AdamSettings,
): number {
  const P = g.length;
  let sq = 0;
  for (let i = 0; i < P; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (maxGradNorm !== null) {
    const coef = maxGradNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < P; i++) g[i]! *= coef;
  }
  const { beta1, beta2, epsilon } = adam;
  const stepSize = learningRate / (1 - beta1 ** step);
  const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < P; i++) {
    const gi = g[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * gi;
    const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i]! -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + epsilon);
  }
  return norm;
}

/** The Adam moments and step count of the fused and simd engines, with the Engine's optimizer-state accessors. */
export class ClippedAdam {
  private step = 0;
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(
    size: number,
    private readonly settings: AdamSettings,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** One clipped step of `p` along `g` (clippedAdamStep); returns the gradient norm before clipping. */
  apply(p: Float64Array, g: Float64Array, learningRate: number, maxGradNorm: number | null): number {
    this.step++;
    return clippedAdamStep(p, g, this.m, this.v, this.step, learningRate, maxGradNorm, this.settings);
  }

  state(): OptimizerState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  setState(s: OptimizerState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new RangeError(`optimizer state has ${s.m.length} moments, expected ${this.m.length}`);
    this.step = s.step;
    this.m.set(s.m);
    this.v.set(s.v);
  }
}
