import type { Rng } from "../util/rng.js";
import type { NetworkConfig } from "./config.js";
import type { NetworkSpec } from "./network-spec.js";

/**
 * Initial parameters in the shared layout.
 *
 * "torch" reproduces PyTorch's defaults, as the article's network gets them: nn.Linear(in, out) draws weight
 * and bias from U(−1/√in, 1/√in); nn.LSTM draws every weight and both of its biases from U(−1/√H, 1/√H) (with
 * lstmBias "single", our one bias is the sum b_ih + b_hh of the same two draws). A Gaussian head's log std
 * starts at 0 (σ = 1 before the squash).
 *
 * "orthogonal" is CleanRL's: orthogonal weights (gain √2 for the dense layer, 1 for the LSTM, 0.01 for the
 * policy head, 1 for the value head), zero biases.
 */
export function initParameters(spec: NetworkSpec, scheme: NetworkConfig["init"], rng: Rng): Float64Array {
  const p = new Float64Array(spec.parameterCount);
  const O = spec.observationSize;
  const D = spec.denseUnits;
  const H = spec.lstmUnits;
  const A = spec.policyOutputs;
  const uniform = (offset: number, size: number, bound: number): void => {
    for (let i = 0; i < size; i++) p[offset + i] = (2 * rng.uniform() - 1) * bound;
  };
  if (scheme === "torch") {
    for (const t of spec.trunks) {
      for (const l of t.mlp) {
        uniform(l.kernel, l.inputs * l.units, 1 / Math.sqrt(l.inputs));
        uniform(l.bias, l.units, 1 / Math.sqrt(l.inputs));
      }
      if (t.mlp.length > 0) continue;
      uniform(t.denseKernel, O * D, 1 / Math.sqrt(O));
      uniform(t.denseBias, D, 1 / Math.sqrt(O));
      uniform(t.lstmKernel, D * 4 * H, 1 / Math.sqrt(H));
      uniform(t.lstmRecurrentKernel, H * 4 * H, 1 / Math.sqrt(H));
      const k = 1 / Math.sqrt(H);
      for (let i = 0; i < 4 * H; i++) {
        const bIh = (2 * rng.uniform() - 1) * k;
        const bHh = (2 * rng.uniform() - 1) * k;
        if (t.lstmBias2 >= 0) {
          p[t.lstmBias + i] = bIh;
          p[t.lstmBias2 + i] = bHh;
        } else p[t.lstmBias + i] = bIh + bHh;
      }
    }
    uniform(spec.piKernel, H * A, 1 / Math.sqrt(H));
    uniform(spec.piBias, A, 1 / Math.sqrt(H));
    uniform(spec.vKernel, H, 1 / Math.sqrt(H));
    uniform(spec.vBias, 1, 1 / Math.sqrt(H));
    return p;
  }
  for (const t of spec.trunks) {
    for (const l of t.mlp) orthogonalKernel(p, l.kernel, l.inputs, l.units, Math.SQRT2, rng);
    if (t.mlp.length > 0) continue;
    orthogonalKernel(p, t.denseKernel, O, D, Math.SQRT2, rng);
    orthogonalKernel(p, t.lstmKernel, D, 4 * H, 1, rng);
    orthogonalKernel(p, t.lstmRecurrentKernel, H, 4 * H, 1, rng);
  }
  orthogonalKernel(p, spec.piKernel, H, A, 0.01, rng);
  orthogonalKernel(p, spec.vKernel, H, 1, 1, rng);
  return p;
}

/**
 * Writes gain · (an orthogonal [outputs, inputs] matrix, as torch.nn.init.orthogonal_ makes it) transposed into
 * our [inputs, outputs] kernel at `offset`. The orthogonal factor comes from modified Gram–Schmidt on a
 * Gaussian matrix (the Q of its QR decomposition with a positive diagonal R, like torch's sign fix).
 */
export function orthogonalKernel(p: Float64Array, offset: number, inputs: number, outputs: number, gain: number, rng: Rng): void {
  const rows = outputs;
  const cols = inputs;
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // q holds n column vectors of length m, column-major.
  const q = new Float64Array(m * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[k * m + i]! * q[j * m + i]!;
      for (let i = 0; i < m; i++) q[j * m + i]! -= dot * q[k * m + i]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[j * m + i]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) q[j * m + i]! /= norm;
  }
  // W (rows × cols) = Q when rows ≥ cols, else Qᵀ; kernel[c][r] = gain · W[r][c].
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const w = rows >= cols ? q[c * m + r]! : q[r * m + c]!;
      p[offset + c * outputs + r] = gain * w;
    }
  }
}
