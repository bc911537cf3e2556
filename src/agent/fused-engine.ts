import type { AdamSettings, Engine, LossCoefficients, LossStats, OptimizerState } from "./engine.js";
import { ClippedAdam } from "./adam.js";
import { AgentError } from "./errors.js";
import { fastExp } from "./fast-exp.js";
import { createTrunkKernels, type KernelMode, type TrunkKernels } from "./fused-kernels.js";
import { headActionSize, headChoices, headGaussianDims, headLogProb } from "./policy-head.js";
import { finishLoss, newLossSums, stepLoss } from "./ppo-step-loss.js";
import type { NetworkSpec, TrunkLayout } from "./network-spec.js";
import type { RolloutBuffer } from "./rollout-buffer.js";

/**
 * The fused engine: dense(ReLU) → LSTM → policy/value heads, its backprop-through-time, global-norm clipping
 * and Adam, written out over preallocated Float64Arrays. For networks of a few hundred to a few thousand
 * parameters fed one step at a time, a tfjs op costs far more to dispatch than to compute; here a rollout step
 * is ~1k multiply-adds and no allocation. Numbers are float64 throughout (tfjs computes in float32); e^x is
 * fastExp (within 2 ulp of Math.exp, inlined by the JIT instead of a call).
 *
 * Each trunk's step (dense layer, LSTM cell, and their backward step) runs in kernels (fused-kernels.ts):
 * straight-line code generated for this network's sizes, or loops for big networks; both give the same bits.
 * The rollout step and the replay share those kernels and the heads, so replaying a sequence before an update
 * reproduces the rollout's log-probabilities bit for bit (ratio exactly 1).
 */
export class FusedEngine implements Engine {
  readonly kind = "fused" as const;
  readonly backend = "js";
  readonly spec: NetworkSpec;
  private readonly adam: ClippedAdam;
  private readonly p: Float64Array;
  private readonly g: Float64Array;
  /** Bumped whenever the parameters change; the cached forward pass is valid for one version only. */
  private version = 0;

  private readonly O: number;
  private readonly D: number;
  private readonly H: number;
  /** Policy-layer outputs (logits, then the Gaussian mean). */
  private readonly A: number;
  /** Categorical choices of the head. */
  private readonly C: number;
  /** Head parameters per row (log-probabilities, then μ and log std). */
  private readonly W: number;
  private readonly S: number;
  private readonly trunks: readonly TrunkLayout[];

  // Scratch for one cell step (rollout, valueOf, shifted replay).
  private readonly zeros: Float64Array;
  private readonly sa: Float64Array;
  private readonly sg: Float64Array;
  private readonly sc: Float64Array;
  private readonly stc: Float64Array;
  private readonly sh: Float64Array;
  private readonly sp: Float64Array;
  private readonly sh2: Float64Array;
  private readonly sc2: Float64Array;
  // Backward scratch.
  private readonly dhNext: Float64Array[];
  private readonly dcNext: Float64Array[];
  private readonly dhHead: Float64Array[];
  private readonly dlogits: Float64Array;
  /** Gaussian dimensions (log stds in a head-parameter row) and env values per step in actionValues. */
  private readonly G: number;
  private readonly U: number;

  /** Per trunk: the forward and backward step, generated for this network's sizes or as loops (fused-kernels.ts). */
  private readonly kernels: TrunkKernels[];
  /** The policy kernel transposed ([actions][H]), so that the head runs as contiguous dot products. */
  private readonly piT: Float64Array;

  // Activations of the stored forward pass, indexed by buffer position (grown on demand).
  private capacity = 0;
  private wsA: Float64Array[] = [];
  /** Input projections a·Wx + b, kept so that the shifted replay of next observations can reuse them. */
  private wsP: Float64Array[] = [];
  private wsG: Float64Array[] = [];
  private wsC: Float64Array[] = [];
  private wsTC: Float64Array[] = [];
  private wsH: Float64Array[] = [];
  private wsLogp = new Float64Array(0);
  private wsV = new Float64Array(0);
  /** The buffer whose forward pass the workspace holds, and per sequence the parameter version it was made with. */
  private cacheBuf: RolloutBuffer | null = null;
  private seqVersion = new Int32Array(0);

  /** Which kernels run: straight-line code for this network's sizes, or loops (big networks). */
  readonly kernelKind: "generated" | "loops";

  constructor(spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings, options: { readonly kernels?: KernelMode } = {}) {
    if (spec.trunk !== "lstm") throw new AgentError("invalid_config", "the fused engine runs dense → LSTM trunks; an MLP trunk runs on the simd or tfjs engine (engine \"simd\", \"tfjs\" or \"auto\")", "engine");
    this.spec = spec;
    this.O = spec.observationSize;
    this.D = spec.denseUnits;
    this.H = spec.lstmUnits;
    this.A = spec.policyOutputs;
    this.G = headGaussianDims(spec.head);
    this.U = headActionSize(spec.head);
    this.C = headChoices(spec.head);
    this.W = spec.policyParams;
    this.S = spec.stateSize;
    this.trunks = spec.trunks;
    const P = spec.parameterCount;
    this.p = new Float64Array(P);
    this.g = new Float64Array(P);
    this.adam = new ClippedAdam(P, adam);
    const H = this.H;
    this.kernels = spec.trunks.map((tr) => createTrunkKernels(spec, tr, options.kernels ?? "auto"));
    this.kernelKind = this.kernels[0]!.kind;
    this.piT = new Float64Array(this.A * H);
    this.setParameters(parameters);
    this.zeros = new Float64Array(H);
    this.sa = new Float64Array(this.D);
    this.sg = new Float64Array(4 * H);
    this.sc = new Float64Array(H);
    this.stc = new Float64Array(H);
    this.sh = new Float64Array(H);
    this.sp = new Float64Array(4 * H);
    this.sh2 = new Float64Array(H);
    this.sc2 = new Float64Array(H);
    this.dhNext = spec.trunks.map(() => new Float64Array(H));
    this.dcNext = spec.trunks.map(() => new Float64Array(H));
    this.dhHead = spec.trunks.map(() => new Float64Array(H));
    // The diagonal head's gradient also writes ∂/∂ℓ_d after the D outputs (policy-head.ts headGradient).
    this.dlogits = new Float64Array(this.W);
  }

  getParameters(): Float64Array {
    return this.p.slice();
  }

  setParameters(p: ArrayLike<number>): void {
    if (p.length !== this.p.length) {
      throw new RangeError(`expected ${this.p.length} parameters, got ${p.length}`);
    }
    this.p.set(p);
    this.parametersChanged();
  }

  private parametersChanged(): void {
    this.version++;
    const p = this.p;
    const transpose = (src: number, rows: number, cols: number, dst: Float64Array): void => {
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = p[src + r * cols + c]!;
    };
    for (const k of this.kernels) k.refresh(p);
    transpose(this.spec.piKernel, this.H, this.A, this.piT);
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
    this.cacheBuf = null;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Forward pieces shared by the rollout and the replay.

  /**
   * Policy head: the head parameters of h into out[oo … oo+W): log-softmax of the C logits of h·Wπ + bπ, then
   * (Gaussian part) the mean, the next output, and the log std parameter.
   */
  private policyHead(h: Float64Array, ho: number, out: Float64Array, oo: number): void {
    const p = this.p;
    const A = this.A;
    const C = this.C;
    const H = this.H;
    const piT = this.piT;
    const b = this.spec.piBias;
    let max = -Infinity;
    for (let j = 0; j < A; j++) {
      let s = p[b + j]!;
      const r = j * H;
      for (let k = 0; k < H; k++) s += h[ho + k]! * piT[r + k]!;
      out[oo + j] = s;
      if (j < C && s > max) max = s;
    }
    if (C > 0) {
      let sum = 0;
      for (let j = 0; j < C; j++) sum += fastExp(out[oo + j]! - max);
      const lse = max + Math.log(sum);
      for (let j = 0; j < C; j++) out[oo + j] -= lse;
    }
    if (this.spec.piLogStd >= 0) for (let d = 0; d < this.G; d++) out[oo + A + d] = p[this.spec.piLogStd + d]!;
  }

  /** Value head: h·Wv + bv. */
  private valueHead(h: Float64Array, ho: number): number {
    const p = this.p;
    const w = this.spec.vKernel;
    let v = p[this.spec.vBias]!;
    for (let k = 0; k < this.H; k++) v += h[ho + k]! * p[w + k]!;
    return v;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Rollout.

  /**
   * With `record`, the activations of row r go to buffer position r·T + t of `record.buf` (the rollout's own
   * forward pass, reused by the first epoch's replay: bit-identical, since it is the same arithmetic). Rows
   * must then be the buffer's envs and t the rollout step.
   */
  step(
    observations: Float32Array,
    rows: number,
    state: Float64Array,
    logProbsOut: Float64Array,
    valuesOut: Float64Array,
    record?: { readonly buf: RolloutBuffer; readonly t: number },
  ): void {
    const H = this.H;
    const S = this.S;
    const last = this.trunks.length - 1;
    if (record) {
      this.reserve(record.buf);
      if (record.t === 0) this.seqVersion.fill(-1);
    }
    const T = record ? record.buf.sizes.rolloutSteps : 0;
    for (let r = 0; r < rows; r++) {
      const k = r * T + (record ? record.t : 0);
      for (let t = 0; t <= last; t++) {
        const so = r * S + t * 2 * H;
        if (record) {
          const Hs = this.wsH[t]!;
          const C = this.wsC[t]!;
          this.kernels[t]!.project(this.p, observations, r * this.O, this.wsA[t]!, k * this.D, this.wsP[t]!, k * 4 * H);
          this.kernels[t]!.recur(this.p, this.wsP[t]!, k * 4 * H, state, so, state, so + H, this.wsG[t]!, k * 4 * H, C, k * H, this.wsTC[t]!, k * H, Hs, k * H);
          for (let j = 0; j < H; j++) {
            state[so + j] = Hs[k * H + j]!;
            state[so + H + j] = C[k * H + j]!;
          }
        } else {
          this.kernels[t]!.project(this.p, observations, r * this.O, this.sa, 0, this.sp, 0);
          this.kernels[t]!.recur(this.p, this.sp, 0, state, so, state, so + H, this.sg, 0, this.sc, 0, this.stc, 0, this.sh, 0);
          state.set(this.sh, so);
          state.set(this.sc, so + H);
        }
      }
      this.policyHead(state, r * S, logProbsOut, r * this.W);
      valuesOut[r] = this.valueHead(state, r * S + last * 2 * H);
      if (record) {
        for (let j = 0; j < this.W; j++) this.wsLogp[k * this.W + j] = logProbsOut[r * this.W + j]!;
        this.wsV[k] = valuesOut[r]!;
      }
    }
    if (record && record.t === T - 1) this.seqVersion.fill(this.version);
  }

  valueOf(observations: Float32Array, row: number, state: Float64Array, stateRow: number): number {
    const H = this.H;
    const last = this.trunks.length - 1;
    const so = stateRow * this.S + last * 2 * H;
    this.kernels[last]!.project(this.p, observations, row * this.O, this.sa, 0, this.sp, 0);
    this.kernels[last]!.recur(this.p, this.sp, 0, state, so, state, so + H, this.sg, 0, this.sc, 0, this.stc, 0, this.sh, 0);
    return this.valueHead(this.sh, 0);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Replay.

  /** Sizes the workspace for `buf` and makes it the cached buffer (dropping what was cached for another one). */
  private reserve(buf: RolloutBuffer): void {
    if (this.cacheBuf !== buf) {
      this.cacheBuf = buf;
      this.seqVersion = new Int32Array(buf.sizes.numSequences).fill(-1);
    }
    const steps = buf.actions.length;
    if (steps <= this.capacity) return;
    const H = this.H;
    this.capacity = steps;
    this.wsA = this.trunks.map(() => new Float64Array(steps * this.D));
    this.wsP = this.trunks.map(() => new Float64Array(steps * 4 * H));
    this.wsG = this.trunks.map(() => new Float64Array(steps * 4 * H));
    this.wsC = this.trunks.map(() => new Float64Array(steps * H));
    this.wsTC = this.trunks.map(() => new Float64Array(steps * H));
    this.wsH = this.trunks.map(() => new Float64Array(steps * H));
    this.wsLogp = new Float64Array(steps * this.W);
    this.wsV = new Float64Array(steps);
    this.seqVersion.fill(-1);
  }

  /** Forward pass over sequence s of `buf`, storing every activation at the sequence's buffer positions. */
  private forwardSequence(buf: RolloutBuffer, s: number): void {
    const L = buf.sizes.sequenceLength;
    const H = this.H;
    const S = this.S;
    const start = s * L;
    const obs = buf.observations;
    const starts = buf.episodeStarts;
    for (let t = 0; t < this.trunks.length; t++) {
      const A = this.wsA[t]!;
      const P = this.wsP[t]!;
      const Gs = this.wsG[t]!;
      const C = this.wsC[t]!;
      const TC = this.wsTC[t]!;
      const Hs = this.wsH[t]!;
      for (let i = 0; i < L; i++) {
        const k = start + i;
        let hp: Float64Array, hpo: number, cp: Float64Array, cpo: number;
        if (starts[k]) {
          hp = this.zeros;
          hpo = 0;
          cp = this.zeros;
          cpo = 0;
        } else if (i === 0) {
          hp = buf.sequenceStates;
          hpo = s * S + t * 2 * H;
          cp = buf.sequenceStates;
          cpo = hpo + H;
        } else {
          hp = Hs;
          hpo = (k - 1) * H;
          cp = C;
          cpo = (k - 1) * H;
        }
        this.kernels[t]!.project(this.p, obs, k * this.O, A, k * this.D, P, k * 4 * H);
        this.kernels[t]!.recur(this.p, P, k * 4 * H, hp, hpo, cp, cpo, Gs, k * 4 * H, C, k * H, TC, k * H, Hs, k * H);
      }
    }
    const hPi = this.wsH[0]!;
    const hV = this.wsH[this.trunks.length - 1]!;
    for (let i = 0; i < L; i++) {
      const k = start + i;
      this.policyHead(hPi, k * H, this.wsLogp, k * this.W);
      this.wsV[k] = this.valueHead(hV, k * H);
    }
    this.seqVersion[s] = this.version;
  }

  /**
   * Values of the shifted sequence of next observations, from the same initial state and resets. Where the
   * next observation is the following step's observation and that step's forward pass is current, its input
   * projection is reused (only the recurrent half is recomputed).
   */
  private nextValuesSequence(buf: RolloutBuffer, s: number, valuesOut: Float64Array): void {
    const L = buf.sizes.sequenceLength;
    const H = this.H;
    const O = this.O;
    const last = this.trunks.length - 1;
    const start = s * L;
    const reuse = this.seqVersion[s] === this.version;
    const P = this.wsP[last]!;
    const obs = buf.observations;
    const next = buf.nextObservations;
    let h = this.sh2;
    let c = this.sc2;
    const so = s * this.S + last * 2 * H;
    for (let j = 0; j < H; j++) {
      h[j] = buf.sequenceStates[so + j]!;
      c[j] = buf.sequenceStates[so + H + j]!;
    }
    let hNew = this.sh;
    let cNew = this.sc;
    for (let i = 0; i < L; i++) {
      const k = start + i;
      if (buf.episodeStarts[k]) {
        h.fill(0);
        c.fill(0);
      }
      let same = reuse && i < L - 1;
      for (let j = 0; same && j < O; j++) same = next[k * O + j] === obs[(k + 1) * O + j];
      if (same) {
        this.kernels[last]!.recur(this.p, P, (k + 1) * 4 * H, h, 0, c, 0, this.sg, 0, cNew, 0, this.stc, 0, hNew, 0);
      } else {
        this.kernels[last]!.project(this.p, next, k * O, this.sa, 0, this.sp, 0);
        this.kernels[last]!.recur(this.p, this.sp, 0, h, 0, c, 0, this.sg, 0, cNew, 0, this.stc, 0, hNew, 0);
      }
      valuesOut[k] = this.valueHead(hNew, 0);
      const th = h;
      h = hNew;
      hNew = th;
      const tc = c;
      c = cNew;
      cNew = tc;
    }
  }

  /** Observations-source evaluation stores the forward pass, which lossAndGradients then reuses if still current. */
  evaluate(buf: RolloutBuffer, sequences: ArrayLike<number>, source: "observations" | "next", valuesOut: Float64Array, logProbsOut?: Float64Array): void {
    const L = buf.sizes.sequenceLength;
    this.reserve(buf);
    if (source === "next") {
      if (buf.nextObservations.length === 0) throw new RangeError("this rollout buffer keeps no next observations (rollout mode)");
      for (let n = 0; n < sequences.length; n++) this.nextValuesSequence(buf, sequences[n]!, valuesOut);
      return;
    }
    for (let n = 0; n < sequences.length; n++) {
      const s = sequences[n]!;
      if (this.seqVersion[s] !== this.version) this.forwardSequence(buf, s);
      const start = s * L;
      for (let k = start; k < start + L; k++) {
        valuesOut[k] = this.wsV[k]!;
        if (logProbsOut) logProbsOut[k] = headLogProb(this.spec.head, this.wsLogp, k, buf.actions[k]!, buf.actionValues, k * this.U);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Loss and backprop-through-time.

  lossAndGradients(buf: RolloutBuffer, sequences: ArrayLike<number>, coefs: LossCoefficients): LossStats {
    const L = buf.sizes.sequenceLength;
    this.reserve(buf);
    // A forward pass still current for these parameters (recorded by the rollout or made by evaluate) is reused.
    for (let n = 0; n < sequences.length; n++) {
      const s = sequences[n]!;
      if (this.seqVersion[s] !== this.version) this.forwardSequence(buf, s);
    }
    const p = this.p;
    const g = this.g;
    g.fill(0);
    const A = this.A;
    const H = this.H;
    const D = this.D;
    const O = this.O;
    const G = 4 * H;
    const S = this.S;
    const N = sequences.length * L;
    const invN = 1 / N;
    const trunkCount = this.trunks.length;
    const lastTrunk = trunkCount - 1;
    const piK = this.spec.piKernel;
    const piB = this.spec.piBias;
    const vK = this.spec.vKernel;
    const vB = this.spec.vBias;
    const dlogits = this.dlogits;
    const head = this.spec.head;
    const logStdAt = this.spec.piLogStd;
    const U = this.U;
    const diagonal = head.kind === "diagonal_gaussian";
    const sums = newLossSums();

    for (let n = 0; n < sequences.length; n++) {
      const s = sequences[n]!;
      const start = s * L;
      for (let t = 0; t < trunkCount; t++) {
        this.dhNext[t]!.fill(0);
        this.dcNext[t]!.fill(0);
      }
      for (let i = L - 1; i >= 0; i--) {
        const k = start + i;
        // Per-step loss terms and their gradients with respect to the policy layer's outputs and the value.
        stepLoss(head, this.wsLogp, k, this.wsV[k]!, buf, k, U, coefs, invN, dlogits, sums);
        const dValue = sums.dValue;
        if (diagonal) for (let d = 0; d < A; d++) g[logStdAt + d] += dlogits[A + d]!;
        else if (logStdAt >= 0) g[logStdAt] += sums.dLogStd;

        // Heads.
        const hPi = this.wsH[0]!;
        const hV = this.wsH[lastTrunk]!;
        const ho = k * H;
        const dhPi = this.dhHead[0]!;
        const dhV = this.dhHead[lastTrunk]!;
        for (let j = 0; j < A; j++) g[piB + j] += dlogits[j]!;
        for (let q = 0; q < H; q++) {
          const hq = hPi[ho + q]!;
          const row = piK + q * A;
          let acc = 0;
          for (let j = 0; j < A; j++) {
            g[row + j] += hq * dlogits[j]!;
            acc += p[row + j]! * dlogits[j]!;
          }
          dhPi[q] = acc;
        }
        g[vB] += dValue;
        if (trunkCount === 1) {
          for (let q = 0; q < H; q++) {
            g[vK + q] += hV[ho + q]! * dValue;
            dhPi[q] += p[vK + q]! * dValue;
          }
        } else {
          for (let q = 0; q < H; q++) {
            g[vK + q] += hV[ho + q]! * dValue;
            dhV[q] = p[vK + q]! * dValue;
          }
        }

        // Each trunk's LSTM and dense layer, one step back.
        for (let t = 0; t < trunkCount; t++) {
          const Hs = this.wsH[t]!;
          const C = this.wsC[t]!;
          const dhN = this.dhNext[t]!;
          const dcN = this.dcNext[t]!;
          const reset = buf.episodeStarts[k] === 1;
          let hp: Float64Array, hpo: number, cp: Float64Array, cpo: number;
          if (reset) {
            hp = this.zeros;
            hpo = 0;
            cp = this.zeros;
            cpo = 0;
          } else if (i === 0) {
            hp = buf.sequenceStates;
            hpo = s * S + t * 2 * H;
            cp = buf.sequenceStates;
            cpo = hpo + H;
          } else {
            hp = Hs;
            hpo = (k - 1) * H;
            cp = C;
            cpo = (k - 1) * H;
          }
          this.kernels[t]!.backward(p, g, buf.observations, k * O, this.wsA[t]!, k * D, this.wsG[t]!, k * G, cp, cpo, this.wsTC[t]!, k * H, hp, hpo, this.dhHead[t]!, dhN, dcN);
          if (reset) {
            // The state was zeroed before this step: no gradient flows into the previous episode.
            dhN.fill(0);
            dcN.fill(0);
          }
        }
      }
    }
    return finishLoss(sums, invN, coefs);
  }

  applyGradients(learningRate: number, maxGradNorm: number | null): number {
    const norm = this.adam.apply(this.p, this.g, learningRate, maxGradNorm);
    this.parametersChanged();
    return norm;
  }
}
