import type { VecEnv } from "../env/vec-env.js";
import { deriveSeed, Rng, type RngState } from "../util/rng.js";
import { rolloutSizes, type AgentConfig } from "./config.js";
import type { Engine, LossCoefficients } from "./engine.js";
import { AgentError } from "./errors.js";
import { articleAdvantages, rolloutAdvantages } from "./gae.js";
import type { UpdateMetrics, UpdateTiming } from "./metrics.js";
import { RunningObservationNorm, type ObservationNormStats } from "./obs-norm.js";
import { allocRolloutBuffer, type RolloutBuffer } from "./rollout-buffer.js";
import { envActionOf, headActionSize, headForSpace, headLogProb, sampleDiagonal, sampleHead, type HeadAction } from "./policy-head.js";

/**
 * Recurrent PPO, top to bottom in one function (CleanRL's ppo_atari_lstm.py layout):
 *   for each update: rollout (recurrent state carried, stored at sequence starts, zeroed at episode starts)
 *   → targets (GAE) → epochs of minibatches of whole sequences → clipped-surrogate update → one metrics record.
 * Every choice that differs between the article and CleanRL is a config field (config.ts, docs/ppo.md).
 */

/** Where a run continues from (a checkpoint's training state). */
export interface PpoResumeState {
  /** Updates already done. */
  readonly update: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly actionRng: RngState;
  readonly minibatchRng: RngState;
  readonly observationNorm: ObservationNormStats | null;
}

/** The loop's training state after an update (what a checkpoint saves besides the engine). */
export interface PpoState {
  readonly update: number;
  readonly numUpdates: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly actionRng: RngState;
  readonly minibatchRng: RngState;
  readonly observationNorm: ObservationNormStats | null;
}

export interface RunPpoOptions {
  readonly env: VecEnv;
  readonly engine: Engine;
  readonly config: AgentConfig;
  /** Env steps to train for in total (rounded up to whole updates), counting those before a resume. */
  readonly totalSteps: number;
  /** Seeds the action sampling, minibatch shuffling and env streams (ignored for streams a resume restores). */
  readonly seed: number;
  /** Seed of the env's reset (defaults to a stream derived from `seed`). */
  readonly envSeed: number;
  readonly resume?: PpoResumeState;
  /** Called after every update; return true to stop early. */
  readonly onUpdate?: (metrics: UpdateMetrics, timing: UpdateTiming, state: () => PpoState) => boolean | void | Promise<boolean | void>;
}

export interface PpoResult {
  readonly updates: number;
  readonly envSteps: number;
  readonly episodes: number;
  readonly lastMetrics: UpdateMetrics | null;
  readonly state: PpoState;
}

export function lossCoefficients(config: AgentConfig): LossCoefficients {
  const p = config.ppo;
  return { clipCoef: p.clipCoef, valueClip: p.valueClip, valueLoss: p.valueLoss, valueCoef: p.valueCoef, entropyCoef: p.entropyCoef };
}

export async function runPpo(opts: RunPpoOptions): Promise<PpoResult> {
  const { env, engine, config } = opts;
  const ppo = config.ppo;
  const sizes = rolloutSizes(ppo);
  const { numEnvs: N, rolloutSteps: T, sequenceLength: L, numSequences, stepsPerUpdate } = sizes;
  const head = headForSpace(env.actionSpace);
  if (env.numEnvs !== N) throw new AgentError("invalid_config", `the env steps ${env.numEnvs} envs, the agent expects numEnvs = ${N}`, "ppo.numEnvs");
  const O = env.observationSize;
  const spec = engine.spec;
  if (spec.observationSize !== O || JSON.stringify(spec.head) !== JSON.stringify(head)) {
    throw new AgentError(
      "invalid_config",
      `the network takes ${spec.observationSize} observations and acts with ${JSON.stringify(spec.head)}; the env has ${O} observations and needs ${JSON.stringify(head)}`,
      "network",
    );
  }
  const W = spec.policyParams;
  const S = spec.stateSize;
  const article = ppo.advantageMode === "article";
  const numUpdates = Math.max(1, Math.ceil(opts.totalSteps / stepsPerUpdate));

  // Training state (restored on resume).
  const resume = opts.resume;
  let update = resume?.update ?? 0;
  let envSteps = resume?.envSteps ?? 0;
  let episodes = resume?.episodes ?? 0;
  const actionRng = resume ? Rng.fromState(resume.actionRng) : new Rng(deriveSeed(opts.seed, 1));
  const minibatchRng = resume ? Rng.fromState(resume.minibatchRng) : new Rng(deriveSeed(opts.seed, 2));
  const obsNorm = ppo.observationNorm === "running" ? new RunningObservationNorm(O, ppo.observationClip, resume?.observationNorm ?? undefined) : null;

  // Buffers, allocated once.
  const D = headActionSize(head);
  const diagonal = head.kind === "diagonal_gaussian" ? head : null;
  const buf = allocRolloutBuffer(sizes, O, S, article, D);
  const obs = new Float32Array(N * O);
  const finalObs = new Float32Array(O);
  const state = new Float64Array(N * S);
  const episodeStart = new Uint8Array(N).fill(1);
  // The factor each env's rewards are paid with in its current episode (rewardUnit; read when an episode starts).
  const startValues = env.episodeStartValues;
  if (ppo.rewardUnit === "start_value" && startValues === undefined) {
    throw new AgentError("invalid_config", `rewardUnit "start_value" needs an env that reports its episodes' start values; this one does not (use "env")`, "ppo.rewardUnit");
  }
  const rewardFactors = new Float64Array(N).fill(ppo.rewardScale);
  const startEpisodeFactor = (i: number): void => {
    if (ppo.rewardUnit === "start_value") rewardFactors[i] = ppo.rewardScale / startValues![i]!;
  };
  const headParams = new Float64Array(N * W);
  const values = new Float64Array(N);
  // What the env takes: action indices for a categorical head, values for a Gaussian or hybrid one.
  const actions = head.kind === "categorical" ? new Int32Array(N) : new Float32Array(N * D);
  const normal = (): number => actionRng.normal();
  const taken: HeadAction = { index: 0, u: 0 };
  const gaussian = head.kind !== "categorical";
  const replay = { values: new Float64Array(N * T), nextValues: new Float64Array(N * T) };
  const order = Int32Array.from({ length: numSequences }, (_, s) => s);
  const finished = { count: 0, profitSum: 0, profitMin: Infinity, profitMax: -Infinity, totalReturnSum: 0, rewardSum: 0, lengthSum: 0 };

  // Hot-loop copies are plain loops: a subarray() view per step would allocate.
  const observe = (raw: Float32Array): void => {
    if (obsNorm) {
      obsNorm.update(raw, N);
      for (let i = 0; i < N; i++) obsNorm.normalize(raw, i, obs, i);
    } else {
      for (let j = 0; j < N * O; j++) obs[j] = raw[j]!;
    }
  };
  const observeFinal = (raw: Float32Array, i: number): Float32Array => {
    if (obsNorm) obsNorm.normalize(raw, i, finalObs, 0);
    else for (let j = 0; j < O; j++) finalObs[j] = raw[i * O + j]!;
    return finalObs;
  };
  const copyRow = (src: Float32Array | Float64Array, srcRow: number, dst: Float32Array | Float64Array, dstRow: number, width: number): void => {
    for (let j = 0; j < width; j++) dst[dstRow * width + j] = src[srcRow * width + j]!;
  };
  const record = { buf, t: 0 };
  const snapshot = (): PpoState => ({
    update,
    numUpdates,
    envSteps,
    episodes,
    actionRng: actionRng.getState(),
    minibatchRng: minibatchRng.getState(),
    observationNorm: obsNorm ? obsNorm.stats() : null,
  });

  observe(env.reset(opts.envSeed));
  for (let i = 0; i < N; i++) startEpisodeFactor(i);
  const t0 = performance.now();
  let lastMetrics: UpdateMetrics | null = null;

  while (update < numUpdates) {
    const tUpdate = performance.now();
    const learningRate = ppo.lrSchedule === "linear" ? ppo.learningRate * (1 - update / numUpdates) : ppo.learningRate;
    finished.count = 0;
    finished.profitSum = finished.totalReturnSum = finished.rewardSum = finished.lengthSum = 0;
    finished.profitMin = Infinity;
    finished.profitMax = -Infinity;

    // ---- Rollout: T steps of N envs; the recurrent state is carried, stored at sequence starts, reset at episode starts.
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) {
        const k = i * T + t;
        if (episodeStart[i]) state.fill(0, i * S, (i + 1) * S);
        buf.episodeStarts[k] = episodeStart[i]!;
        copyRow(obs, i, buf.observations, k, O);
        if (t % L === 0) copyRow(state, i, buf.sequenceStates, k / L, S);
      }
      record.t = t;
      engine.step(obs, N, state, headParams, values, record);
      for (let i = 0; i < N; i++) {
        // Sample a ~ π(·|history): the categorical index, then (Gaussian part) u = μ + σ·z.
        const k = i * T + t;
        if (diagonal !== null) {
          // D normals per env, in order; the env takes u itself (its weight scheme maps it to weights).
          sampleDiagonal(diagonal, headParams, i, normal, buf.actionValues, k * D);
          for (let d = 0; d < D; d++) actions[i * D + d] = buf.actionValues[k * D + d]!;
          buf.actions[k] = 0;
          buf.logProbs[k] = headLogProb(head, headParams, i, 0, buf.actionValues, k * D);
          buf.values[k] = values[i]!;
          continue;
        }
        sampleHead(head, headParams, i, actionRng.uniform(), gaussian ? actionRng.normal() : 0, taken);
        actions[i] = envActionOf(head, taken.index, taken.u);
        buf.actions[k] = taken.index;
        buf.actionValues[k] = taken.u;
        buf.logProbs[k] = headLogProb(head, headParams, i, taken.index, taken.u);
        buf.values[k] = values[i]!;
      }
      const res = env.step(actions);
      for (let i = 0; i < N; i++) {
        const k = i * T + t;
        buf.rewards[k] = res.rewards[i]! * rewardFactors[i]!;
        buf.terminated[k] = res.terminated[i]!;
        buf.truncated[k] = res.truncated[i]!;
        buf.truncationValues[k] = 0;
        const done = res.terminated[i]! === 1 || res.truncated[i]! === 1;
        if (done) {
          const fin = observeFinal(res.finalObservations, i);
          if (article) copyRow(fin, 0, buf.nextObservations, k, O);
          // V(final observation) with the state carried through the episode, before it is reset.
          if (!article && ppo.bootstrapTruncated && res.truncated[i] && !res.terminated[i]) {
            buf.truncationValues[k] = engine.valueOf(fin, 0, state, i);
          }
          const f = res.finishedEpisodes;
          finished.count++;
          finished.profitSum += f.profit[i]!;
          finished.profitMin = Math.min(finished.profitMin, f.profit[i]!);
          finished.profitMax = Math.max(finished.profitMax, f.profit[i]!);
          finished.totalReturnSum += f.totalReturn[i]!;
          finished.rewardSum += f.returnSum[i]!;
          finished.lengthSum += f.length[i]!;
        }
        episodeStart[i] = done ? 1 : 0;
        if (done) startEpisodeFactor(i); // the env has started the next episode
      }
      observe(res.observations);
      if (article) {
        for (let i = 0; i < N; i++) {
          const k = i * T + t;
          if (!episodeStart[i]) copyRow(obs, i, buf.nextObservations, k, O);
        }
      }
    }
    if (!article) {
      for (let i = 0; i < N; i++) {
        if (episodeStart[i]) state.fill(0, i * S, (i + 1) * S);
        buf.lastValues[i] = engine.valueOf(obs, i, state, i);
      }
    }
    envSteps += stepsPerUpdate;
    episodes += finished.count;
    const tRollout = performance.now();

    // ---- Targets and the epochs of minibatch updates (ppoUpdate, below: also what the PyTorch fixture test drives).
    const u = ppoUpdate({ buf, engine, config, order, minibatchRng, learningRate, scratch: replay });
    update++;
    const tEnd = performance.now();

    const mean = (x: number): number | null => (finished.count > 0 ? x / finished.count : null);
    lastMetrics = {
      update,
      env_steps: envSteps,
      episodes,
      episodes_in_update: finished.count,
      profit_mean: mean(finished.profitSum),
      profit_min: finished.count > 0 ? finished.profitMin : null,
      profit_max: finished.count > 0 ? finished.profitMax : null,
      total_return_mean: mean(finished.totalReturnSum),
      episode_reward_mean: mean(finished.rewardSum),
      episode_length_mean: mean(finished.lengthSum),
      policy_loss: u.policyLoss,
      value_loss: u.valueLoss,
      entropy: u.entropy,
      approx_kl: u.approxKl,
      old_approx_kl: u.oldApproxKl,
      clip_fraction: u.clipFraction,
      explained_variance: u.explainedVariance,
      grad_norm: u.gradNorm,
      learning_rate: learningRate,
      epochs: u.epochs,
    };
    const elapsed = (tEnd - t0) / 1000;
    const timing: UpdateTiming = {
      update,
      env_steps: envSteps,
      elapsed_s: elapsed,
      rollout_s: (tRollout - tUpdate) / 1000,
      train_s: (tEnd - tRollout) / 1000,
      steps_per_s: stepsPerUpdate / ((tEnd - tUpdate) / 1000),
      avg_steps_per_s: (envSteps - (resume?.envSteps ?? 0)) / elapsed,
      rss_mib: process.memoryUsage.rss() / 1048576,
    };
    // The callback may be async: awaiting it between updates is where the loop yields (signals, displays).
    const stop = opts.onUpdate?.(lastMetrics, timing, snapshot);
    if ((stop instanceof Promise ? await stop : stop) === true) break;
  }
  return { updates: update, envSteps, episodes, lastMetrics, state: snapshot() };
}

/** Means over the minibatches of one update (the metrics record's loss fields). */
export interface UpdateStats {
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropy: number;
  readonly approxKl: number;
  readonly oldApproxKl: number;
  readonly clipFraction: number;
  readonly gradNorm: number;
  readonly explainedVariance: number | null;
  /** Epochs run (fewer than configured when the KL early stop fired). */
  readonly epochs: number;
}

export interface PpoUpdateInput {
  /** A filled rollout (observations, actions, old log-probabilities and values, rewards, flags, sequence states). */
  readonly buf: RolloutBuffer;
  readonly engine: Engine;
  readonly config: AgentConfig;
  /** Sequence indices 0 … numSequences − 1, shuffled in place every epoch. */
  readonly order: Int32Array;
  readonly minibatchRng: Rng;
  readonly learningRate: number;
  /** Article mode's replayed V(s_t) and V(s_{t+1}), one per buffer position. */
  readonly scratch: { readonly values: Float64Array; readonly nextValues: Float64Array };
}

/**
 * The learning half of one PPO update, on a filled rollout buffer: targets (GAE), then epochs of minibatches
 * of whole sequences, each a clipped-surrogate loss, its gradient and one clipped Adam step.
 */
export function ppoUpdate(input: PpoUpdateInput): UpdateStats {
  const { buf, engine, config, order, minibatchRng, learningRate } = input;
  const ppo = config.ppo;
  const { sequenceLength: L, numSequences, sequencesPerMinibatch } = buf.sizes;
  const article = ppo.advantageMode === "article";
  const coefs = lossCoefficients(config);
  const replayValues = input.scratch.values;
  const replayNextValues = input.scratch.nextValues;
  // ---- Targets. Rollout mode: GAE once, from the rollout's values. Article mode: recomputed every epoch below.
  if (!article) rolloutAdvantages(buf, ppo.gamma, ppo.gaeLambda, ppo.bootstrapTruncated);
  const articleTargets = (): void => {
    engine.evaluate(buf, order, "observations", replayValues);
    engine.evaluate(buf, order, "next", replayNextValues);
    for (let s = 0; s < numSequences; s++) {
      articleAdvantages(buf, s * L, L, replayValues, replayNextValues, ppo.gamma, ppo.gaeLambda, ppo.bootstrapTruncated);
    }
  };

  // ---- Epochs of minibatches of whole sequences.
  let sumPolicy = 0, sumValue = 0, sumEntropy = 0, sumKl = 0, sumOldKl = 0, sumClip = 0, sumNorm = 0, minibatches = 0;
  let explainedVariance: number | null = null;
  let epochsRun = 0;
  for (let epoch = 0; epoch < ppo.updateEpochs; epoch++) {
    if (article) articleTargets();
    if (epoch === 0) explainedVariance = explainedVarianceOf(buf.values, buf.returns);
    shuffle(order, minibatchRng);
    let epochKl = 0;
    for (let mb = 0; mb < ppo.numMinibatches; mb++) {
      const seqs = order.subarray(mb * sequencesPerMinibatch, (mb + 1) * sequencesPerMinibatch);
      prepareLossAdvantages(buf.advantages, buf.lossAdvantages, seqs, L, ppo.normalizeAdvantages);
      const stats = engine.lossAndGradients(buf, seqs, coefs);
      sumNorm += engine.applyGradients(learningRate, ppo.maxGradNorm);
      sumPolicy += stats.policyLoss;
      sumValue += stats.valueLoss;
      sumEntropy += stats.entropy;
      sumKl += stats.approxKl;
      sumOldKl += stats.oldApproxKl;
      sumClip += stats.clipFraction;
      epochKl += stats.approxKl;
      minibatches++;
    }
    epochsRun++;
    if (ppo.targetKl !== null && epochKl / ppo.numMinibatches > ppo.targetKl) break;
  }
  return {
    policyLoss: sumPolicy / minibatches,
    valueLoss: sumValue / minibatches,
    entropy: sumEntropy / minibatches,
    approxKl: sumKl / minibatches,
    oldApproxKl: sumOldKl / minibatches,
    clipFraction: sumClip / minibatches,
    gradNorm: sumNorm / minibatches,
    explainedVariance,
    epochs: epochsRun,
  };
}

/** Fisher–Yates shuffle in place, with the given stream. */
function shuffle(order: Int32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/**
 * The advantages the loss sees for these sequences: as computed, or standardised over the minibatch's steps
 * (mean 0, unbiased std 1, + 1e-8 as CleanRL).
 */
function prepareLossAdvantages(adv: Float64Array, out: Float64Array, seqs: Int32Array, L: number, normalize: boolean): void {
  if (!normalize) {
    for (let n = 0; n < seqs.length; n++) {
      const start = seqs[n]! * L;
      out.set(adv.subarray(start, start + L), start);
    }
    return;
  }
  let sum = 0;
  const count = seqs.length * L;
  for (let n = 0; n < seqs.length; n++) for (let k = seqs[n]! * L; k < (seqs[n]! + 1) * L; k++) sum += adv[k]!;
  const mean = sum / count;
  let sq = 0;
  for (let n = 0; n < seqs.length; n++) for (let k = seqs[n]! * L; k < (seqs[n]! + 1) * L; k++) sq += (adv[k]! - mean) ** 2;
  const std = count > 1 ? Math.sqrt(sq / (count - 1)) : 0;
  for (let n = 0; n < seqs.length; n++) for (let k = seqs[n]! * L; k < (seqs[n]! + 1) * L; k++) out[k] = (adv[k]! - mean) / (std + 1e-8);
}

/** 1 − Var(y − ŷ) / Var(y); null when Var(y) = 0. */
export function explainedVarianceOf(predicted: Float64Array, target: Float64Array): number | null {
  const n = target.length;
  let my = 0, md = 0;
  for (let i = 0; i < n; i++) {
    my += target[i]!;
    md += target[i]! - predicted[i]!;
  }
  my /= n;
  md /= n;
  let vy = 0, vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (target[i]! - my) ** 2;
    vd += (target[i]! - predicted[i]! - md) ** 2;
  }
  return vy === 0 ? null : 1 - vd / vy;
}
