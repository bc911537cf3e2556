import type { AdamSettings, Engine, LossCoefficients, LossStats, OptimizerState } from "./engine.js";
import { ClippedAdam } from "./adam.js";
import { AgentError } from "./errors.js";
import { fastExp } from "./fast-exp.js";
import { headActionSize, headChoices, headGaussianDims, headLogProb } from "./policy-head.js";
import type { NetworkSpec } from "./network-spec.js";
import { finishLoss, newLossSums, stepLoss } from "./ppo-step-loss.js";
import type { RolloutBuffer } from "./rollout-buffer.js";
import { createSimdKernels, defaultSimdThreads, GEMM_ACCUMULATE, GEMM_BIAS, GEMM_RELU, pad4, type SimdKernels } from "./simd-kernels.js";

/**
 * The simd engine: MLP trunks (obs → ReLU layers → policy and value heads) on hand-written WebAssembly SIMD
 * kernels (simd-kernels.ts). Forward and backward passes run as GEMMs over a whole minibatch in float32 in the
 * kernels' memory; the loss and its gradient at the heads run per step in float64 (ppo-step-loss.ts, shared
 * with the fused engine); the parameters, gradient, clipping and Adam live in float64 arrays in the shared
 * layout, as in the fused engine. Matrices are padded to multiples of 4 rows and columns with zeros, which
 * leave every product unchanged. Work is single-threaded and runs in a fixed order: same seed, same bits.
 * The tfjs engine is its reference (engines.test.ts, simd-engine.test.ts).
 */

/** Rows per pass through the kernels: a longer minibatch or evaluation is split, weight gradients accumulate. */
const CHUNK_ROWS = 4096;
/** Rows per slice of a weight-gradient product (measured: 256 → 23 GFLOP/s, 2,048 → 11). */
const K_SLICE = 256;

/** One dense layer in the kernels' memory: y = x·W + b, padded to Ip × Up. */
interface Layer {
  readonly inputs: number;
  readonly units: number;
  readonly ip: number;
  readonly up: number;
  /** Offsets in the shared parameter layout. */
  readonly kernelAt: number;
  readonly biasAt: number;
  /** Byte pointers: W [ip, up], Wᵀ [up, ip], b [up], ∂W [ip, up], ∂b [up]. */
  readonly w: number;
  readonly wt: number;
  readonly b: number;
  readonly dw: number;
  readonly db: number;
}

/** Per-chunk activations of one layer: its output [rows, up] and the loss gradient with respect to it. */
interface Activations {
  out: number;
  dOut: number;
}

export class SimdEngine implements Engine {
  readonly kind = "simd" as const;
  readonly backend = "wasm-simd";
  readonly spec: NetworkSpec;
  private readonly adam: ClippedAdam;
  private readonly k: SimdKernels;
  private readonly p: Float64Array;
  private readonly g: Float64Array;
  /** Per trunk: its ReLU layers. */
  private readonly trunkLayers: Layer[][];
  private readonly piLayer: Layer;
  private readonly vLayer: Layer;
  /** Every layer (trunks, then the heads), in the order their parameters are copied in and their gradients out. */
  private readonly layers: readonly Layer[];
  /** Gaussian dimensions of the head (0 for a categorical head). */
  private readonly G: number;
  private readonly op: number;
  private readonly C: number;
  private readonly W: number;
  private readonly U: number;
  private readonly dlogits: Float64Array;
  /** Column sums of a chunk after the first, before they are added to ∂b. */
  private readonly sumScratch: number;
  /** Next free byte of the kernels' memory; workspace starts at `workspaceBase`. */
  private top = 0;
  private readonly workspaceBase: number;
  private capacityRows = 0;
  private x = 0;
  private acts: Activations[][] = [];
  private piOut: Activations = { out: 0, dOut: 0 };
  private vOut: Activations = { out: 0, dOut: 0 };
  private f32 = new Float32Array(0);
  /** Head parameters (log-probabilities, μ, log std) of the rows of the current chunk. */
  private headParams = new Float64Array(0);
  private values = new Float64Array(0);

  /** `threads`: threads sharing the large products (default: the machine's cores, at most 4); the bits do not depend on it. */
  static async create(spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings, options: { readonly threads?: number } = {}): Promise<SimdEngine> {
    if (spec.trunk !== "mlp") throw mlpOnly();
    return new SimdEngine(spec, parameters, adam, await createSimdKernels(16, options.threads ?? defaultSimdThreads()));
  }

  private constructor(spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings, kernels: SimdKernels) {
    if (spec.trunk !== "mlp") throw mlpOnly();
    this.spec = spec;
    this.k = kernels;
    const P = spec.parameterCount;
    this.p = new Float64Array(P);
    this.g = new Float64Array(P);
    this.adam = new ClippedAdam(P, adam);
    this.op = pad4(spec.observationSize);
    this.C = headChoices(spec.head);
    this.W = spec.policyParams;
    this.U = headActionSize(spec.head);
    this.dlogits = new Float64Array(this.W);
    const layer = (inputs: number, units: number, kernelAt: number, biasAt: number): Layer => {
      const ip = pad4(inputs);
      const up = pad4(units);
      return { inputs, units, ip, up, kernelAt, biasAt, w: this.alloc(ip * up), wt: this.alloc(up * ip), b: this.alloc(up), dw: this.alloc(ip * up), db: this.alloc(up) };
    };
    this.trunkLayers = spec.trunks.map((t) => t.mlp.map((l) => layer(l.inputs, l.units, l.kernel, l.bias)));
    this.piLayer = layer(spec.lstmUnits, spec.policyOutputs, spec.piKernel, spec.piBias);
    this.vLayer = layer(spec.lstmUnits, 1, spec.vKernel, spec.vBias);
    this.layers = [...this.trunkLayers.flat(), this.piLayer, this.vLayer];
    this.G = headGaussianDims(spec.head);
    this.sumScratch = this.alloc(Math.max(...this.layers.map((l) => l.up)));
    this.workspaceBase = this.top;
    this.reserve(256);
    this.setParameters(parameters);
  }

  /** Bytes for n floats at the top of the kernels' memory (16-byte aligned), growing it when needed. */
  private alloc(n: number): number {
    const at = this.top;
    this.top += pad4(n) * 4;
    const need = Math.ceil(this.top / 65536) - this.k.memory.buffer.byteLength / 65536;
    if (need > 0) this.k.memory.grow(need);
    this.f32 = new Float32Array(this.k.memory.buffer);
    return at;
  }

  /** Workspace for chunks of up to `rows` rows. */
  private reserve(rows: number): void {
    const r = pad4(Math.min(rows, CHUNK_ROWS));
    if (r <= this.capacityRows) return;
    this.capacityRows = r;
    this.top = this.workspaceBase;
    this.x = this.alloc(r * this.op);
    this.acts = this.trunkLayers.map((layers) => layers.map((l) => ({ out: this.alloc(r * l.up), dOut: this.alloc(r * l.up) })));
    this.piOut = { out: this.alloc(r * this.piLayer.up), dOut: this.alloc(r * this.piLayer.up) };
    this.vOut = { out: this.alloc(r * this.vLayer.up), dOut: this.alloc(r * this.vLayer.up) };
    this.headParams = new Float64Array(r * this.W);
    this.values = new Float64Array(r);
  }

  getParameters(): Float64Array {
    return this.p.slice();
  }

  setParameters(p: ArrayLike<number>): void {
    if (p.length !== this.p.length) throw new RangeError(`expected ${this.p.length} parameters, got ${p.length}`);
    this.p.set(p);
    this.parametersChanged();
  }

  /** Writes the float32 copies the kernels read: W, Wᵀ and b of every layer (padding stays zero). */
  private parametersChanged(): void {
    const f = this.f32;
    const p = this.p;
    for (const l of this.layers) {
      const w = l.w >> 2;
      const wt = l.wt >> 2;
      for (let i = 0; i < l.inputs; i++) {
        for (let j = 0; j < l.units; j++) {
          const x = p[l.kernelAt + i * l.units + j]!;
          f[w + i * l.up + j] = x;
          f[wt + j * l.ip + i] = x;
        }
      }
      for (let j = 0; j < l.units; j++) f[(l.b >> 2) + j] = p[l.biasAt + j]!;
    }
  }

  getOptimizerState(): OptimizerState {
    return this.adam.state();
  }

  setOptimizerState(s: OptimizerState): void {
    this.adam.setState(s);
  }

  getGradients(): Float64Array {
    return this.g.slice();
  }

  dispose(): void {
    this.k.dispose();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Forward and backward passes over one chunk of rows (the rows are in this.x, padded rows zero).

  /** Trunks and heads for `rows` rows: head parameters into this.headParams, V into this.values. */
  private forward(rows: number, onlyValue: boolean): void {
    const R = pad4(rows);
    const last = this.trunkLayers.length - 1;
    for (let t = onlyValue ? last : 0; t <= last; t++) {
      let input = this.x;
      let ip = this.op;
      this.trunkLayers[t]!.forEach((l, i) => {
        const out = this.acts[t]![i]!.out;
        this.k.parallelGemm(R, l.up, ip, input, ip, 1, l.w, l.up, out, l.up, l.b, GEMM_BIAS | GEMM_RELU, ip);
        input = out;
        ip = l.up;
      });
    }
    const f = this.f32;
    const vl = this.vLayer;
    this.k.gemm(R, vl.up, vl.ip, this.trunkOutput(last), vl.ip, 1, vl.w, vl.up, this.vOut.out, vl.up, vl.b, GEMM_BIAS);
    for (let r = 0, o = this.vOut.out >> 2; r < rows; r++) this.values[r] = f[o + r * vl.up]!;
    if (onlyValue) return;
    const pl = this.piLayer;
    this.k.gemm(R, pl.up, pl.ip, this.trunkOutput(0), pl.ip, 1, pl.w, pl.up, this.piOut.out, pl.up, pl.b, GEMM_BIAS);
    this.headRows(rows);
  }

  private trunkOutput(t: number): number {
    return this.acts[t]!.at(-1)!.out;
  }

  /** The policy layer's outputs → head parameters: log-softmax over the C logits, then μ, then the log stds. */
  private headRows(rows: number): void {
    const f = this.f32;
    const A = this.spec.policyOutputs;
    const C = this.C;
    const W = this.W;
    const up = this.piLayer.up;
    const out = this.headParams;
    const base = this.piOut.out >> 2;
    const logStdAt = this.spec.piLogStd;
    const G = this.G;
    for (let r = 0; r < rows; r++) {
      const o = r * W;
      let max = -Infinity;
      for (let j = 0; j < A; j++) {
        const s = f[base + r * up + j]!;
        out[o + j] = s;
        if (j < C && s > max) max = s;
      }
      if (C > 0) {
        let sum = 0;
        for (let j = 0; j < C; j++) sum += fastExp(out[o + j]! - max);
        const lse = max + Math.log(sum);
        for (let j = 0; j < C; j++) out[o + j] -= lse;
      }
      if (logStdAt >= 0) for (let d = 0; d < G; d++) out[o + A + d] = this.p[logStdAt + d]!;
    }
  }

  /**
   * Backward pass of the chunk from the gradients at the heads (this.piOut.dOut, this.vOut.dOut; padded rows
   * zero): weight and bias gradients into each layer's ∂W, ∂b (added to what is there when `accumulate`).
   */
  private backward(rows: number, accumulate: boolean): void {
    const k = this.k;
    const R = pad4(rows);
    const last = this.trunkLayers.length - 1;
    const heads: [Layer, Activations, number][] = [
      [this.piLayer, this.piOut, 0],
      [this.vLayer, this.vOut, last],
    ];
    heads.forEach(([l, a, t], n) => {
      const hidden = this.trunkOutput(t);
      this.weightGradient(l, R, hidden, a.dOut, accumulate);
      this.biasGradient(l, R, a.dOut, accumulate);
      // ∂loss/∂(trunk output) = dOut · Wᵀ (the second head adds to the first's on a shared trunk).
      k.parallelGemm(R, l.ip, l.up, a.dOut, l.up, 1, l.wt, l.ip, this.acts[t]!.at(-1)!.dOut, l.ip, 0, n === 1 && last === 0 ? GEMM_ACCUMULATE : 0, l.up);
    });
    for (let t = 0; t <= last; t++) {
      const layers = this.trunkLayers[t]!;
      for (let i = layers.length - 1; i >= 0; i--) {
        const l = layers[i]!;
        const a = this.acts[t]![i]!;
        k.reluBackward(R * l.up, a.dOut, a.out);
        const input = i === 0 ? this.x : this.acts[t]![i - 1]!.out;
        this.weightGradient(l, R, input, a.dOut, accumulate);
        this.biasGradient(l, R, a.dOut, accumulate);
        if (i > 0) k.parallelGemm(R, l.ip, l.up, a.dOut, l.up, 1, l.wt, l.ip, this.acts[t]![i - 1]!.dOut, l.ip, 0, 0, l.up);
      }
    }
  }

  /**
   * ∂W (+)= inputᵀ · dOut over R rows, in slices of K_SLICE rows: a slice of both operands stays in the core's
   * cache across the output blocks (over all 2,048 rows at once this product ran at half the speed).
   */
  private weightGradient(l: Layer, R: number, input: number, dOut: number, accumulate: boolean): void {
    this.k.parallelGemm(l.ip, l.up, R, input, 1, l.ip, dOut, l.up, l.dw, l.up, 0, accumulate ? GEMM_ACCUMULATE : 0, K_SLICE);
  }

  private biasGradient(l: Layer, R: number, dOut: number, accumulate: boolean): void {
    if (!accumulate) {
      this.k.columnSums(R, l.up, dOut, l.up, l.db);
      return;
    }
    const f = this.f32;
    const tmp = this.sumScratch;
    this.k.columnSums(R, l.up, dOut, l.up, tmp);
    for (let j = 0; j < l.up; j++) f[(l.db >> 2) + j]! += f[(tmp >> 2) + j]!;
  }

  /** Copies rows' observations into this.x (padded columns and rows zero); positions null: rows from, from + 1, …. */
  private loadRows(source: Float32Array, positions: ArrayLike<number> | null, from: number, rows: number): void {
    const f = this.f32;
    const O = this.spec.observationSize;
    const op = this.op;
    const x = this.x >> 2;
    f.fill(0, x, x + pad4(rows) * op);
    for (let r = 0; r < rows; r++) {
      const k = positions === null ? from + r : positions[from + r]!;
      for (let c = 0; c < O; c++) f[x + r * op + c] = source[k * O + c]!;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Engine interface.

  step(observations: Float32Array, rows: number, _state: Float64Array, logProbsOut: Float64Array, valuesOut: Float64Array): void {
    this.reserve(rows);
    const W = this.W;
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows - from);
      this.loadRows(observations, null, from, n);
      this.forward(n, false);
      for (let r = 0; r < n; r++) {
        valuesOut[from + r] = this.values[r]!;
        for (let j = 0; j < W; j++) logProbsOut[(from + r) * W + j] = this.headParams[r * W + j]!;
      }
    }
  }

  valueOf(observations: Float32Array, row: number): number {
    this.loadRows(observations, null, row, 1);
    this.forward(1, true);
    return this.values[0]!;
  }

  evaluate(buf: RolloutBuffer, sequences: ArrayLike<number>, source: "observations" | "next", valuesOut: Float64Array, logProbsOut?: Float64Array): void {
    if (source === "next" && buf.nextObservations.length === 0) throw new RangeError("this rollout buffer keeps no next observations (rollout mode)");
    const positions = bufferPositions(buf, sequences);
    const wantLogp = logProbsOut !== undefined && source === "observations";
    this.reserve(positions.length);
    for (let from = 0; from < positions.length; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, positions.length - from);
      this.loadRows(source === "next" ? buf.nextObservations : buf.observations, positions, from, n);
      this.forward(n, !wantLogp);
      for (let r = 0; r < n; r++) {
        const k = positions[from + r]!;
        valuesOut[k] = this.values[r]!;
        if (wantLogp) logProbsOut[k] = headLogProb(this.spec.head, this.headParams, r, buf.actions[k]!, buf.actionValues, k * this.U);
      }
    }
  }

  lossAndGradients(buf: RolloutBuffer, sequences: ArrayLike<number>, coefs: LossCoefficients): LossStats {
    const positions = bufferPositions(buf, sequences);
    const N = positions.length;
    const invN = 1 / N;
    this.reserve(N);
    const f = this.f32;
    const g = this.g;
    g.fill(0);
    const sums = newLossSums();
    const A = this.spec.policyOutputs;
    const logStdAt = this.spec.piLogStd;
    const diagonal = this.spec.head.kind === "diagonal_gaussian";
    const dlogits = this.dlogits;
    const piUp = this.piLayer.up;
    const vUp = this.vLayer.up;
    for (let from = 0; from < N; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, N - from);
      const R = pad4(n);
      this.loadRows(buf.observations, positions, from, n);
      this.forward(n, false);
      const dPi = this.piOut.dOut >> 2;
      const dV = this.vOut.dOut >> 2;
      f.fill(0, dPi, dPi + R * piUp);
      f.fill(0, dV, dV + R * vUp);
      for (let r = 0; r < n; r++) {
        stepLoss(this.spec.head, this.headParams, r, this.values[r]!, buf, positions[from + r]!, this.U, coefs, invN, dlogits, sums);
        for (let j = 0; j < A; j++) f[dPi + r * piUp + j] = dlogits[j]!;
        f[dV + r * vUp] = sums.dValue;
        if (diagonal) for (let d = 0; d < A; d++) g[logStdAt + d] += dlogits[A + d]!;
        else if (logStdAt >= 0) g[logStdAt] += sums.dLogStd;
      }
      this.backward(n, from > 0);
    }
    for (const l of this.layers) {
      for (let i = 0; i < l.inputs; i++) for (let j = 0; j < l.units; j++) g[l.kernelAt + i * l.units + j] = f[(l.dw >> 2) + i * l.up + j]!;
      for (let j = 0; j < l.units; j++) g[l.biasAt + j] = f[(l.db >> 2) + j]!;
    }
    return finishLoss(sums, invN, coefs);
  }

  applyGradients(learningRate: number, maxGradNorm: number | null): number {
    const norm = this.adam.apply(this.p, this.g, learningRate, maxGradNorm);
    this.parametersChanged();
    return norm;
  }
}

const mlpOnly = (): AgentError => new AgentError("invalid_config", "the simd engine runs MLP trunks; a dense → LSTM trunk runs on the fused or tfjs engine", "engine");

/** Buffer positions of the listed sequences' steps, in order (s·L + i). */
function bufferPositions(buf: RolloutBuffer, sequences: ArrayLike<number>): Int32Array {
  const L = buf.sizes.sequenceLength;
  const out = new Int32Array(sequences.length * L);
  for (let n = 0; n < sequences.length; n++) for (let i = 0; i < L; i++) out[n * L + i] = sequences[n]! * L + i;
  return out;
}
