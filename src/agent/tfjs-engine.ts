import { AgentError } from "./errors.js";
import * as tf from "@tensorflow/tfjs";
import type { AdamSettings, Engine, LossCoefficients, LossStats, OptimizerState } from "./engine.js";
import type { NetworkSpec, TrunkLayout } from "./network-spec.js";
import type { RolloutBuffer } from "./rollout-buffer.js";

/**
 * The tfjs engine: the same network, loss and optimiser as the fused engine, written with TensorFlow.js ops so
 * that it runs on any backend (CUDA through tfjs-node-gpu, native TF, WASM, plain JS). Sequences are processed
 * as batches [B, L, ·]; the LSTM unrolls over L with the state zeroed where an episode starts. Gradients come
 * from tf.variableGrads; clipping and Adam are written with tf ops so that their state shares the checkpoint
 * layout. All work runs inside tf.tidy; the only tensors that live between calls are the variables, the Adam
 * moments and the last gradient.
 */

interface TrunkVars {
  /** MLP trunk: kernel and bias of each layer (empty for an LSTM trunk, whose fields below are then unused). */
  readonly mlp: readonly { readonly kernel: tf.Variable; readonly bias: tf.Variable }[];
  readonly denseKernel: tf.Variable;
  readonly denseBias: tf.Variable;
  readonly lstmKernel: tf.Variable;
  readonly lstmRecurrentKernel: tf.Variable;
  readonly lstmBias: tf.Variable;
  /** b_hh (lstmBias "pair"), or null. */
  readonly lstmBias2: tf.Variable | null;
}

/** Minibatch data copied out of the rollout buffer, as plain arrays ready for tensors. */
interface GatheredBatch {
  readonly B: number;
  readonly L: number;
  readonly observations: Float32Array;
  /** 1 − episodeStart: multiplies the state before each step. */
  readonly keep: Float32Array;
  /** Per trunk: initial h and c, B × H each. */
  readonly h0: Float32Array[];
  readonly c0: Float32Array[];
  readonly actions: Int32Array;
  /** Pre-squash Gaussian samples u of the actions. */
  readonly actionValues: Float32Array;
  readonly oldLogProbs: Float32Array;
  readonly oldValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Buffer position of each batch row-step (b·L + i). */
  readonly positions: Int32Array;
}

export class TfjsEngine implements Engine {
  readonly kind = "tfjs" as const;
  readonly backend: string;
  readonly spec: NetworkSpec;
  private readonly adam: AdamSettings;
  private readonly vars: tf.Variable[];
  private readonly moments1: tf.Variable[];
  private readonly moments2: tf.Variable[];
  private readonly trunkVars: TrunkVars[];
  private readonly piKernel: tf.Variable;
  private readonly piBias: tf.Variable;
  private readonly vKernel: tf.Variable;
  private readonly vBias: tf.Variable;
  private readonly piLogStd: tf.Variable | null;
  private adamStep = 0;
  private grads: tf.Tensor[] | null = null;

  constructor(spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings) {
    if (spec.head.kind === "diagonal_gaussian") {
      throw new AgentError("unsupported_action_space", `the tfjs engine has no diagonal Gaussian head (${spec.head.dims} values per action): use engine "fused" (LSTM trunk) or "simd" (MLP trunk)`, "engine");
    }
    this.spec = spec;
    this.adam = adam;
    this.backend = tf.getBackend();
    const values = Float32Array.from(parameters);
    // Inside tidy: the initial tensors are released, the variables (never tidied) stay.
    this.vars = tf.tidy(() => spec.blocks.map((b) => tf.variable(tf.tensor(values.subarray(b.offset, b.offset + b.size), [...b.shape]), true)));
    this.moments1 = tf.tidy(() => spec.blocks.map((b) => tf.variable(tf.zeros([...b.shape]), false)));
    this.moments2 = tf.tidy(() => spec.blocks.map((b) => tf.variable(tf.zeros([...b.shape]), false)));
    const byOffset = new Map(spec.blocks.map((b, i) => [b.offset, this.vars[i]!]));
    const at = (offset: number): tf.Variable => byOffset.get(offset)!;
    this.trunkVars = spec.trunks.map((t: TrunkLayout) => ({
      mlp: t.mlp.map((l) => ({ kernel: at(l.kernel), bias: at(l.bias) })),
      denseKernel: at(t.denseKernel),
      denseBias: at(t.denseBias),
      lstmKernel: at(t.lstmKernel),
      lstmRecurrentKernel: at(t.lstmRecurrentKernel),
      lstmBias: at(t.lstmBias),
      lstmBias2: t.lstmBias2 >= 0 ? at(t.lstmBias2) : null,
    }));
    this.piKernel = at(spec.piKernel);
    this.piBias = at(spec.piBias);
    this.vKernel = at(spec.vKernel);
    this.vBias = at(spec.vBias);
    this.piLogStd = spec.piLogStd >= 0 ? at(spec.piLogStd) : null;
  }

  getParameters(): Float64Array {
    return this.flatten(this.vars);
  }

  setParameters(p: ArrayLike<number>): void {
    if (p.length !== this.spec.parameterCount) {
      throw new RangeError(`expected ${this.spec.parameterCount} parameters, got ${p.length}`);
    }
    this.assignFlat(this.vars, p);
  }

  getOptimizerState(): OptimizerState {
    return { step: this.adamStep, m: this.flatten(this.moments1), v: this.flatten(this.moments2) };
  }

  setOptimizerState(s: OptimizerState): void {
    this.adamStep = s.step;
    this.assignFlat(this.moments1, s.m);
    this.assignFlat(this.moments2, s.v);
  }

  getGradients(): Float64Array {
    if (this.grads === null) return new Float64Array(this.spec.parameterCount);
    return this.flatten(this.grads);
  }

  dispose(): void {
    for (const v of [...this.vars, ...this.moments1, ...this.moments2]) v.dispose();
    this.disposeGrads();
  }

  private flatten(tensors: readonly tf.Tensor[]): Float64Array {
    const out = new Float64Array(this.spec.parameterCount);
    this.spec.blocks.forEach((b, i) => out.set(tensors[i]!.dataSync(), b.offset));
    return out;
  }

  private assignFlat(vars: readonly tf.Variable[], p: ArrayLike<number>): void {
    const values = Float32Array.from(p);
    this.spec.blocks.forEach((b, i) => {
      tf.tidy(() => vars[i]!.assign(tf.tensor(values.subarray(b.offset, b.offset + b.size), [...b.shape])));
    });
  }

  private disposeGrads(): void {
    if (this.grads) for (const g of this.grads) g.dispose();
    this.grads = null;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Network pieces.

  /** An MLP trunk's output: ReLU dense layers in order. */
  private mlpForward(tv: TrunkVars, x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    for (const l of tv.mlp) h = tf.relu(tf.add(tf.matMul(h, l.kernel as tf.Tensor2D), l.bias)) as tf.Tensor2D;
    return h;
  }

  private dense(tv: TrunkVars, x: tf.Tensor2D): tf.Tensor2D {
    return tf.relu(tf.add(tf.matMul(x, tv.denseKernel as tf.Tensor2D), tv.denseBias)) as tf.Tensor2D;
  }

  /** a·Wx + b_ih + b_hh (pair) or a·Wx + b (single). */
  private inputProjection(tv: TrunkVars, a: tf.Tensor2D): tf.Tensor2D {
    const xw = tf.add(tf.matMul(a, tv.lstmKernel as tf.Tensor2D), tv.lstmBias) as tf.Tensor2D;
    return tv.lstmBias2 === null ? xw : (tf.add(xw, tv.lstmBias2) as tf.Tensor2D);
  }

  /** One LSTM step from the precomputed input projection xw = a·Wx + b. */
  private lstmStep(tv: TrunkVars, xw: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const z = tf.add(xw, tf.matMul(h, tv.lstmRecurrentKernel as tf.Tensor2D));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const cNew = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg))) as tf.Tensor2D;
    const hNew = tf.mul(tf.sigmoid(zo), tf.tanh(cNew)) as tf.Tensor2D;
    return [hNew, cNew];
  }

  /**
   * The head's distribution parameters for hidden states h [R, H]: log-probabilities [R, C] (null without a
   * categorical part), the Gaussian mean [R] and log std (scalar) (null without a Gaussian part). policy-head.ts
   * defines the distribution; this is its tfjs form.
   */
  private policyHeadTensors(h: tf.Tensor2D): { logp: tf.Tensor2D | null; mu: tf.Tensor1D | null; logStd: tf.Tensor | null } {
    const C = this.spec.actionCount;
    const out = tf.add(tf.matMul(h, this.piKernel as tf.Tensor2D), this.piBias) as tf.Tensor2D;
    const rows = out.shape[0];
    const logp = C === 0 ? null : tf.logSoftmax(C === this.spec.policyOutputs ? out : tf.slice(out, [0, 0], [rows, C]));
    const gauss = this.piLogStd !== null;
    const mu = gauss ? (tf.reshape(tf.slice(out, [0, C], [rows, 1]), [-1]) as tf.Tensor1D) : null;
    return { logp, mu, logStd: gauss ? tf.reshape(this.piLogStd!, []) : null };
  }

  /** Per row: whether the taken action's Gaussian part counts (policy-head.ts), as 0/1 floats. */
  private gaussianMask(actions: tf.Tensor1D): tf.Tensor1D {
    const head = this.spec.head;
    if (head.kind === "gaussian") return tf.onesLike(actions).toFloat() as tf.Tensor1D;
    if (head.kind !== "hybrid") return tf.zerosLike(actions).toFloat() as tf.Tensor1D;
    return tf.sum(tf.mul(tf.oneHot(actions, head.sides), tf.tensor1d(head.sized.map((x) => (x ? 1 : 0)))), 1) as tf.Tensor1D;
  }

  /** log π(index, u) per row and the entropy per row (policy-head.ts: headLogProb, headEntropy). */
  private logProbAndEntropy(
    heads: ReturnType<TfjsEngine["policyHeadTensors"]>,
    actions: tf.Tensor1D,
    u: tf.Tensor1D,
  ): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    const head = this.spec.head;
    const C = this.spec.actionCount;
    let logProb: tf.Tensor1D = tf.zerosLike(u) as tf.Tensor1D;
    let entropy: tf.Tensor1D = tf.zerosLike(u) as tf.Tensor1D;
    if (heads.logp !== null) {
      logProb = tf.sum(tf.mul(heads.logp, tf.oneHot(actions, C)), 1) as tf.Tensor1D;
      entropy = tf.neg(tf.sum(tf.mul(tf.exp(heads.logp), heads.logp), 1)) as tf.Tensor1D;
    }
    if (heads.mu !== null && heads.logStd !== null) {
      const z = tf.div(tf.sub(u, heads.mu), tf.exp(heads.logStd));
      const logN = tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), heads.logStd), 0.5 * Math.log(2 * Math.PI));
      logProb = tf.add(logProb, tf.mul(this.gaussianMask(actions), logN)) as tf.Tensor1D;
      const hGauss = tf.add(heads.logStd, 0.5 + 0.5 * Math.log(2 * Math.PI));
      let pSized: tf.Tensor1D = tf.onesLike(u) as tf.Tensor1D;
      if (head.kind === "hybrid" && heads.logp !== null) {
        pSized = tf.sum(tf.mul(tf.exp(heads.logp), tf.tensor1d(head.sized.map((x) => (x ? 1 : 0)))), 1) as tf.Tensor1D;
      }
      entropy = tf.add(entropy, tf.mul(pSized, hGauss)) as tf.Tensor1D;
    }
    return { logProb, entropy };
  }

  private valueOfHidden(h: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(tf.add(tf.matMul(h, this.vKernel as tf.Tensor2D), this.vBias), [-1]);
  }

  /**
   * Replays B sequences of L steps: returns the head's distribution parameters (rows b·L + i) and V [B·L].
   * `onlyValue` skips the policy trunk and head.
   */
  private forward(batch: GatheredBatch, observations: Float32Array, onlyValue: boolean): { heads: ReturnType<TfjsEngine["policyHeadTensors"]> | null; values: tf.Tensor1D } {
    const { B, L } = batch;
    const H = this.spec.lstmUnits;
    const O = this.spec.observationSize;
    const x = tf.tensor2d(observations, [B * L, O]);
    const keepSteps = tf.unstack(tf.tensor3d(batch.keep, [B, L, 1]), 1) as tf.Tensor2D[];
    const trunkOutputs: tf.Tensor2D[] = [];
    const last = this.trunkVars.length - 1;
    this.trunkVars.forEach((tv, t) => {
      if (onlyValue && t !== last) {
        trunkOutputs.push(tf.zeros([0, H]));
        return;
      }
      if (tv.mlp.length > 0) {
        trunkOutputs.push(this.mlpForward(tv, x));
        return;
      }
      const a = this.dense(tv, x);
      const xw = tf.reshape(this.inputProjection(tv, a), [B, L, 4 * H]);
      const xwSteps = tf.unstack(xw, 1) as tf.Tensor2D[];
      let h: tf.Tensor2D = tf.tensor2d(batch.h0[t]!, [B, H]);
      let c: tf.Tensor2D = tf.tensor2d(batch.c0[t]!, [B, H]);
      const hs: tf.Tensor2D[] = [];
      for (let i = 0; i < L; i++) {
        const keep = keepSteps[i]!;
        [h, c] = this.lstmStep(tv, xwSteps[i]!, tf.mul(h, keep), tf.mul(c, keep));
        hs.push(h);
      }
      trunkOutputs.push(tf.reshape(tf.stack(hs, 1), [B * L, H]));
    });
    const values = this.valueOfHidden(trunkOutputs[last]!);
    const heads = onlyValue ? null : this.policyHeadTensors(trunkOutputs[0]!);
    return { heads, values };
  }

  private gather(buf: RolloutBuffer, sequences: ArrayLike<number>): GatheredBatch {
    const L = buf.sizes.sequenceLength;
    const B = sequences.length;
    const O = this.spec.observationSize;
    const H = this.spec.lstmUnits;
    const S = this.spec.stateSize;
    const observations = new Float32Array(B * L * O);
    const keep = new Float32Array(B * L);
    const actions = new Int32Array(B * L);
    const actionValues = new Float32Array(B * L);
    const oldLogProbs = new Float32Array(B * L);
    const oldValues = new Float32Array(B * L);
    const advantages = new Float32Array(B * L);
    const returns = new Float32Array(B * L);
    const positions = new Int32Array(B * L);
    const h0 = this.trunkVars.map(() => new Float32Array(B * H));
    const c0 = this.trunkVars.map(() => new Float32Array(B * H));
    for (let b = 0; b < B; b++) {
      const s = sequences[b]!;
      const start = s * L;
      observations.set(buf.observations.subarray(start * O, (start + L) * O), b * L * O);
      for (let i = 0; i < L; i++) {
        const k = start + i;
        const r = b * L + i;
        keep[r] = buf.episodeStarts[k] ? 0 : 1;
        actions[r] = buf.actions[k]!;
        actionValues[r] = buf.actionValues[k]!;
        oldLogProbs[r] = buf.logProbs[k]!;
        oldValues[r] = buf.values[k]!;
        advantages[r] = buf.lossAdvantages[k]!;
        returns[r] = buf.returns[k]!;
        positions[r] = k;
      }
      for (let t = 0; t < this.trunkVars.length; t++) {
        const so = s * S + t * 2 * H;
        h0[t]!.set(buf.sequenceStates.subarray(so, so + H), b * H);
        c0[t]!.set(buf.sequenceStates.subarray(so + H, so + 2 * H), b * H);
      }
    }
    return { B, L, observations, keep, h0, c0, actions, actionValues, oldLogProbs, oldValues, advantages, returns, positions };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Engine interface.

  step(observations: Float32Array, rows: number, state: Float64Array, logProbsOut: Float64Array, valuesOut: Float64Array): void {
    const H = this.spec.lstmUnits;
    const S = this.spec.stateSize;
    const O = this.spec.observationSize;
    const W = this.spec.policyParams;
    const out = tf.tidy(() => {
      const x = tf.tensor2d(observations.subarray(0, rows * O), [rows, O]);
      const hs: tf.Tensor2D[] = [];
      const cs: tf.Tensor2D[] = [];
      this.trunkVars.forEach((tv, t) => {
        if (tv.mlp.length > 0) {
          hs.push(this.mlpForward(tv, x));
          cs.push(tf.zeros([rows, 0]));
          return;
        }
        const { h, c } = stateTensors(state, rows, S, t * 2 * H, H);
        const a = this.dense(tv, x);
        const xw = this.inputProjection(tv, a);
        const [hNew, cNew] = this.lstmStep(tv, xw, h, c);
        hs.push(hNew);
        cs.push(cNew);
      });
      const heads = this.policyHeadTensors(hs[0]!);
      const parts: tf.Tensor2D[] = heads.logp === null ? [] : [heads.logp];
      if (heads.mu !== null && heads.logStd !== null) parts.push(tf.reshape(heads.mu, [rows, 1]), tf.mul(tf.ones([rows, 1]), heads.logStd) as tf.Tensor2D);
      const params = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
      const values = this.valueOfHidden(hs[hs.length - 1]!);
      return [params, values, ...hs, ...cs];
    });
    const data = out.map((t) => t.dataSync());
    tf.dispose(out);
    const T = this.trunkVars.length;
    logProbsOut.set(data[0]!.subarray(0, rows * W));
    valuesOut.set(data[1]!.subarray(0, rows));
    for (let t = 0; t < T && S > 0; t++) {
      const h = data[2 + t]!;
      const c = data[2 + T + t]!;
      for (let r = 0; r < rows; r++) {
        const o = r * S + t * 2 * H;
        for (let j = 0; j < H; j++) {
          state[o + j] = h[r * H + j]!;
          state[o + H + j] = c[r * H + j]!;
        }
      }
    }
  }

  valueOf(observations: Float32Array, row: number, state: Float64Array, stateRow: number): number {
    const H = this.spec.lstmUnits;
    const O = this.spec.observationSize;
    const last = this.trunkVars.length - 1;
    const tv = this.trunkVars[last]!;
    const v = tf.tidy(() => {
      const x = tf.tensor2d(observations.subarray(row * O, (row + 1) * O), [1, O]);
      if (tv.mlp.length > 0) return this.valueOfHidden(this.mlpForward(tv, x));
      const so = stateRow * this.spec.stateSize + last * 2 * H;
      const h = tf.tensor2d(Float32Array.from(state.subarray(so, so + H)), [1, H]);
      const c = tf.tensor2d(Float32Array.from(state.subarray(so + H, so + 2 * H)), [1, H]);
      const xw = this.inputProjection(tv, this.dense(tv, x));
      const [hNew] = this.lstmStep(tv, xw, h, c);
      return this.valueOfHidden(hNew);
    });
    const value = v.dataSync()[0]!;
    v.dispose();
    return value;
  }

  evaluate(buf: RolloutBuffer, sequences: ArrayLike<number>, source: "observations" | "next", valuesOut: Float64Array, logProbsOut?: Float64Array): void {
    const batch = this.gather(buf, sequences);
    const O = this.spec.observationSize;
    let observations = batch.observations;
    if (source === "next") {
      if (buf.nextObservations.length === 0) throw new RangeError("this rollout buffer keeps no next observations (rollout mode)");
      const L = batch.L;
      observations = new Float32Array(batch.observations.length);
      for (let b = 0; b < batch.B; b++) {
        const start = sequences[b]! * L;
        observations.set(buf.nextObservations.subarray(start * O, (start + L) * O), b * L * O);
      }
    }
    const wantLogp = logProbsOut !== undefined && source === "observations";
    const outputs = tf.tidy(() => {
      const { heads, values } = this.forward(batch, observations, !wantLogp);
      if (!wantLogp || heads === null) return [values];
      return [values, this.logProbAndEntropy(heads, tf.tensor1d(batch.actions, "int32"), tf.tensor1d(batch.actionValues)).logProb];
    });
    const v = outputs[0]!.dataSync();
    const lp = outputs[1]?.dataSync();
    tf.dispose(outputs);
    for (let r = 0; r < batch.positions.length; r++) {
      const k = batch.positions[r]!;
      valuesOut[k] = v[r]!;
      if (lp && logProbsOut) logProbsOut[k] = lp[r]!;
    }
  }

  lossAndGradients(buf: RolloutBuffer, sequences: ArrayLike<number>, coefs: LossCoefficients): LossStats {
    const batch = this.gather(buf, sequences);
    this.disposeGrads();
    let statsTensor: tf.Tensor | null = null;
    const grads = tf.tidy(() => {
      const actions = tf.tensor1d(batch.actions, "int32");
      const oldLogp = tf.tensor1d(batch.oldLogProbs);
      const oldValues = tf.tensor1d(batch.oldValues);
      const adv = tf.tensor1d(batch.advantages);
      const returns = tf.tensor1d(batch.returns);
      const u = tf.tensor1d(batch.actionValues);
      const { value, grads } = tf.variableGrads(() => {
        const { heads, values } = this.forward(batch, batch.observations, false);
        const taken = this.logProbAndEntropy(heads!, actions, u);
        const logRatio = tf.sub(taken.logProb, oldLogp);
        const ratio = tf.exp(logRatio);
        const eps = coefs.clipCoef;
        const policyTerms = tf.maximum(tf.mul(tf.neg(adv), ratio), tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - eps, 1 + eps)));
        const policyLoss = tf.mean(policyTerms);
        const entropy = tf.mean(taken.entropy);
        const elementLoss = (d: tf.Tensor): tf.Tensor => {
          if (coefs.valueLoss === "mse") return tf.mul(0.5, tf.square(d));
          const absd = tf.abs(d);
          const quad = tf.minimum(absd, 1);
          return tf.add(tf.mul(0.5, tf.square(quad)), tf.sub(absd, quad));
        };
        let valueTerms = elementLoss(tf.sub(values, returns));
        if (coefs.valueClip !== null) {
          const clippedValues = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -coefs.valueClip, coefs.valueClip));
          valueTerms = tf.maximum(valueTerms, elementLoss(tf.sub(clippedValues, returns)));
        }
        const valueLoss = tf.mean(valueTerms);
        const loss = tf.sub(tf.add(policyLoss, tf.mul(coefs.valueCoef, valueLoss)), tf.mul(coefs.entropyCoef, entropy));
        const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
        const oldApproxKl = tf.mean(tf.neg(logRatio));
        const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), eps), "float32"));
        statsTensor = tf.keep(tf.stack([loss, policyLoss, valueLoss, entropy, approxKl, oldApproxKl, clipFraction]));
        return loss as tf.Scalar;
      }, this.vars);
      value.dispose();
      return this.vars.map((v) => grads[v.name]!);
    });
    this.grads = grads;
    const s = (statsTensor as tf.Tensor | null)!;
    const d = s.dataSync();
    s.dispose();
    return {
      loss: d[0]!,
      policyLoss: d[1]!,
      valueLoss: d[2]!,
      entropy: d[3]!,
      approxKl: d[4]!,
      oldApproxKl: d[5]!,
      clipFraction: d[6]!,
    };
  }

  applyGradients(learningRate: number, maxGradNorm: number | null): number {
    const grads = this.grads;
    if (grads === null) throw new Error("applyGradients called without a gradient (call lossAndGradients first)");
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
    const norm = normTensor.dataSync()[0]!;
    normTensor.dispose();
    const scale = maxGradNorm !== null && maxGradNorm / (norm + 1e-6) < 1 ? maxGradNorm / (norm + 1e-6) : 1;
    const { beta1, beta2, epsilon } = this.adam;
    this.adamStep++;
    const stepSize = learningRate / (1 - beta1 ** this.adamStep);
    const sqrtBc2 = Math.sqrt(1 - beta2 ** this.adamStep);
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = tf.mul(grads[i]!, scale);
        const m = this.moments1[i]!;
        const v = this.moments2[i]!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        p.assign(tf.sub(p, tf.div(tf.mul(m, stepSize), tf.add(tf.div(tf.sqrt(v), sqrtBc2), epsilon))));
      });
    });
    this.disposeGrads();
    return norm;
  }
}

/** h and c tensors [rows, H] of one trunk, read out of the rollout state rows (float64 → float32). */
function stateTensors(state: Float64Array, rows: number, S: number, offset: number, H: number): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const h = new Float32Array(rows * H);
  const c = new Float32Array(rows * H);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < H; j++) {
      h[r * H + j] = state[r * S + offset + j]!;
      c[r * H + j] = state[r * S + offset + H + j]!;
    }
  }
  return { h: tf.tensor2d(h, [rows, H]), c: tf.tensor2d(c, [rows, H]) };
}
