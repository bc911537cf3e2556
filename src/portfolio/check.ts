/**
 * The env checker for the portfolio env: the single-asset checker's generic checks (spaces, observations in
 * their space and finite, step before reset, step after the end, reset and step determinism), reused from
 * src/env/check-env.ts, plus the portfolio's own bookkeeping (cash and coins ≥ 0, value = cash + Σ coins ×
 * prices, weights, fees = commission × notional per leg, the benchmark, the clock, the terminal flags).
 * The vectorised portfolio env goes through the env's own `checkVecEnv` unchanged.
 */
import { checkObservation, checkSpaces, expectEnvError, Problems, type EnvCheckOptions, type EnvCheckResult } from "../env/check-env.js";
import type { BoxSpace, DiscreteSpace } from "../env/spaces.js";
import { Rng } from "../util/rng.js";
import type { PortfolioEnv, PortfolioInfo, PortfolioStepInfo } from "./env.js";

const REL_TOL = 1e-9;
const close = (a: number, b: number): boolean => Math.abs(a - b) <= REL_TOL * Math.max(1, Math.abs(a), Math.abs(b));

/** One random action of the space: an index, or a box's values (each uniform in its bounds). */
export function samplePortfolioAction(space: DiscreteSpace | BoxSpace, rng: Rng): number | number[] {
  if (space.kind === "discrete") return rng.int(space.n);
  return Array.from(space.low, (lo, j) => lo + (space.high[j]! - lo) * rng.uniform());
}

function checkInfo(problems: Problems, env: PortfolioEnv, info: PortfolioInfo, where: string): void {
  const { market } = env.model;
  const K = market.assets;
  if (!(info.cash >= 0) || info.coins.length !== K || info.coins.some((c) => !(c >= 0))) {
    problems.add("portfolio_non_negative", `${where}: cash ${info.cash}, coins ${info.coins.join(", ")}`);
  }
  const prices = Array.from(market.close.subarray(info.row * K, info.row * K + K));
  if (info.timestamp !== market.timestamp[info.row] || prices.some((p, k) => p !== info.prices[k])) {
    problems.add("info_clock", `${where}: row ${info.row} has timestamp ${market.timestamp[info.row]} and closes ${prices.join(", ")}, info says ${info.timestamp} and ${info.prices.join(", ")}`);
  }
  const value = info.cash + info.coins.reduce((s, c, k) => s + c * prices[k]!, 0);
  if (!close(info.value, value)) problems.add("info_value", `${where}: value ${info.value} ≠ cash + Σ coins × prices = ${value}`);
  const wsum = info.weights.reduce((s, w) => s + w, 0);
  if (info.weights.some((w) => !(w >= 0 && w <= 1 + 1e-12)) || !(wsum <= 1 + 1e-9) || !close(wsum + info.cash / info.value, 1)) {
    problems.add("info_weights", `${where}: weights ${info.weights.join(", ")} with cash ${info.cash} of ${info.value}`);
  }
  if (!close(info.profitVsHold, info.value - info.holdValue) || !(info.holdValue > 0)) {
    problems.add("info_hold", `${where}: holdValue ${info.holdValue}, profitVsHold ${info.profitVsHold}, value ${info.value}`);
  }
}

function checkStep(problems: Problems, env: PortfolioEnv, prev: PortfolioInfo, info: PortfolioStepInfo, where: string): void {
  checkInfo(problems, env, info, where);
  const K = env.model.assets;
  const commission = env.config.commission;
  if (info.step !== prev.step + 1 || info.row !== prev.row + 1 || info.decisionRow !== prev.row) {
    problems.add("info_clock", `${where}: step/row must advance by one (step ${prev.step}→${info.step}, row ${prev.row}→${info.row}, decisionRow ${info.decisionRow})`);
  }
  if (!close(info.feesTotal, prev.feesTotal + info.fee)) problems.add("info_fees", `${where}: feesTotal ${info.feesTotal} ≠ ${prev.feesTotal} + ${info.fee}`);
  if (info.targets.length !== K || info.targets.some((w) => !(w >= 0 && w <= 1)) || !(info.targets.reduce((s, w) => s + w, 0) <= 1 + 1e-9)) {
    problems.add("targets", `${where}: target weights ${info.targets.join(", ")} must be K values ≥ 0 summing to ≤ 1`);
  }
  let fees = 0;
  let notional = 0;
  info.legs.forEach((leg, k) => {
    fees += leg.fee;
    notional += leg.notional;
    const traded = leg.side !== "none";
    if (traded !== (leg.holdReason === null) || traded !== (leg.fillPrice !== null)) {
      problems.add("info_trade", `${where}: leg ${k} side ${leg.side}, holdReason ${leg.holdReason}, fillPrice ${leg.fillPrice} disagree`);
    }
    if (traded) {
      const fp = leg.fillPrice!;
      const gross = leg.side === "buy" ? leg.notional * (1 - commission) : leg.notional;
      if (!(fp > 0) || !close(leg.fee, commission * leg.notional) || !close(Math.abs(leg.coinsDelta) * fp, gross) || (leg.side === "buy") !== leg.coinsDelta > 0) {
        problems.add("info_trade", `${where}: leg ${k} fee ${leg.fee}, notional ${leg.notional}, coins ${leg.coinsDelta} at ${fp} do not add up`);
      }
    } else if (leg.fee !== 0 || leg.notional !== 0 || leg.coinsDelta !== 0 || info.coins[k] !== prev.coins[k]) {
      problems.add("info_trade", `${where}: leg ${k} did not trade (${leg.holdReason}) but changed the coins or paid fees`);
    }
    if (!close(info.coins[k]!, prev.coins[k]! + leg.coinsDelta)) problems.add("info_trade", `${where}: coins ${prev.coins[k]} + ${leg.coinsDelta} ≠ ${info.coins[k]}`);
  });
  if (!close(fees, info.fee) || !close(notional, info.notional)) problems.add("info_fees", `${where}: the legs' fees ${fees} / notional ${notional} ≠ the step's ${info.fee} / ${info.notional}`);
}

interface Trace {
  readonly observations: Float32Array[];
  readonly rewards: number[];
  readonly flags: string[];
}

function play(env: PortfolioEnv, seed: number, actions: readonly (number | number[])[]): Trace {
  const trace: Trace = { observations: [env.reset({ seed }).observation], rewards: [], flags: [] };
  for (const a of actions) {
    const r = env.step(a);
    trace.observations.push(r.observation);
    trace.rewards.push(r.reward);
    trace.flags.push(`${r.terminated}/${r.truncated}`);
    if (r.terminated || r.truncated) break;
  }
  return trace;
}

function sameTrace(a: Trace, b: Trace): boolean {
  if (a.rewards.length !== b.rewards.length || a.flags.join() !== b.flags.join()) return false;
  if (!a.rewards.every((r, k) => Object.is(r, b.rewards[k]))) return false;
  return a.observations.every((o, k) => {
    const p = b.observations[k]!;
    return o.length === p.length && o.every((v, j) => Object.is(v, p[j]));
  });
}

/** Checks a portfolio env built by `factory` (called several times: instances must not share state). */
export function checkPortfolioEnv(factory: () => PortfolioEnv, options: EnvCheckOptions = {}): EnvCheckResult {
  const seed = options.seed ?? 12345;
  const episodes = options.episodes ?? 3;
  const maxSteps = options.maxStepsPerEpisode ?? 2_000;
  const problems = new Problems();
  let steps = 0;
  const env = factory();
  checkSpaces(env.observationSpace, env.actionSpace, problems);
  expectEnvError(problems, "step_before_reset", "step_before_reset", () => env.step(samplePortfolioAction(env.actionSpace, new Rng(0))));
  expectEnvError(problems, "invalid_action", "invalid_action", () => {
    env.reset({ seed });
    env.step(env.actionSpace.kind === "discrete" ? env.actionSpace.n : [Number.NaN]);
  });
  const rng = new Rng(seed);
  const { model } = env;
  for (let e = 0; e < episodes; e++) {
    const episodeSeed = seed + e;
    const reset = env.reset({ seed: episodeSeed });
    let prev: PortfolioInfo = reset.info;
    checkObservation(problems, env.observationSpace, reset.observation, `episode ${e} reset`);
    checkInfo(problems, env, prev, `episode ${e} reset`);
    if (prev.step !== 0 || prev.cash !== model.initialCash || prev.coins.some((c) => c !== 0) || prev.feesTotal !== 0 || prev.holdValue !== model.initialCash) {
      problems.add("reset_state", `episode ${e}: reset must start at step 0, all in cash, no fees, benchmark = cash`);
    }
    const actions: (number | number[])[] = [];
    let ended = false;
    for (let k = 0; k < maxSteps && !ended; k++) {
      const a = samplePortfolioAction(env.actionSpace, rng);
      actions.push(a);
      const r = env.step(a);
      steps++;
      const where = `episode ${e} step ${k + 1}`;
      checkObservation(problems, env.observationSpace, r.observation, where);
      if (!Number.isFinite(r.reward)) problems.add("reward_finite", `${where}: reward ${r.reward}`);
      if (typeof r.terminated !== "boolean" || typeof r.truncated !== "boolean") problems.add("flags", `${where}: terminated/truncated must be booleans`);
      checkStep(problems, env, prev, r.info, where);
      const ruined = r.info.value < model.ruinFraction * r.info.startValue;
      if (r.terminated !== ruined) problems.add("terminated", `${where}: terminated=${r.terminated} but value ${r.info.value} vs start ${r.info.startValue} × ${model.ruinFraction}`);
      const timeUp = model.fullEpisode ? r.info.row === model.market.lastRow : r.info.step === model.episodeLength;
      if (r.truncated !== timeUp) problems.add("truncated", `${where}: truncated=${r.truncated} at step ${r.info.step}, row ${r.info.row}`);
      ended = r.terminated || r.truncated;
      prev = r.info;
    }
    if (ended) expectEnvError(problems, "step_after_end", "step_after_end", () => env.step(samplePortfolioAction(env.actionSpace, rng)));
    const replay = actions.slice(0, 200);
    const first = play(env, episodeSeed, replay);
    if (!sameTrace(first, play(env, episodeSeed, replay))) problems.add("reset_determinism", `episode ${e}: reset with seed ${episodeSeed} did not replay the episode bit for bit`);
    if (!sameTrace(first, play(factory(), episodeSeed, replay))) problems.add("step_determinism", `episode ${e}: a fresh env with the same seed and actions diverged`);
  }
  return { ok: problems.list.length === 0, problems: problems.list, steps };
}
