import { Rng } from "../util/rng.js";
import { EnvError, type EnvErrorCode } from "./errors.js";
import { sampleAction, sampleActions } from "./sample-action.js";
import { spaceContains, type BoxSpace, type Space } from "./spaces.js";
import type { EnvInfo, StepInfo, TradingEnv } from "./trading-env.js";
import type { VecEnv } from "./vec-env.js";

/**
 * The env checker (after Gymnasium's `check_env`): run it on any env factory, and every preset's env must
 * come out clean. It reports problems as data instead of throwing at the first one.
 */
export interface EnvCheckProblem {
  /** Which check failed, e.g. "observation_in_space". */
  readonly check: string;
  readonly message: string;
}

export interface EnvCheckResult {
  readonly ok: boolean;
  readonly problems: readonly EnvCheckProblem[];
  /** Steps the checker took in total. */
  readonly steps: number;
}

export interface EnvCheckOptions {
  /** Seed of the episodes and of the random actions. */
  readonly seed?: number;
  /** Episodes to play with random actions. */
  readonly episodes?: number;
  /** Stop an episode after this many steps (full-series episodes can be long). */
  readonly maxStepsPerEpisode?: number;
}

const REL_TOL = 1e-9;

function close(a: number, b: number, scale = Math.max(1, Math.abs(a), Math.abs(b))): boolean {
  return Math.abs(a - b) <= REL_TOL * scale;
}

/** Collects problems, one per check (exported for the checkers of other envs, e.g. src/portfolio/check.ts). */
export class Problems {
  readonly list: EnvCheckProblem[] = [];
  add(check: string, message: string): void {
    // One report per check is enough to act on; more would drown the first.
    if (this.list.length < 50 && !this.list.some((p) => p.check === check)) this.list.push({ check, message });
  }
}

export function expectEnvError(problems: Problems, check: string, code: EnvErrorCode, run: () => unknown): void {
  try {
    run();
    problems.add(check, `expected EnvError "${code}", nothing was thrown`);
  } catch (e) {
    if (!(e instanceof EnvError) || e.code !== code) {
      problems.add(check, `expected EnvError "${code}", got ${e instanceof EnvError ? `EnvError "${e.code}"` : String(e)}`);
    }
  }
}

export function checkSpaces(observationSpace: BoxSpace, actionSpace: Space, problems: Problems): void {
  const o = observationSpace;
  const size = o.shape.reduce((a, b) => a * b, 1);
  if (o.kind !== "box") problems.add("observation_space", "must be a box");
  if (o.low.length !== size || o.high.length !== size || o.labels.length !== size) {
    problems.add("observation_space", `low/high/labels must have ${size} elements, got ${o.low.length}/${o.high.length}/${o.labels.length}`);
  }
  for (let j = 0; j < o.low.length; j++) {
    if (!(o.low[j]! <= o.high[j]!)) problems.add("observation_space", `bounds of ${o.labels[j]} are not ordered: [${o.low[j]}, ${o.high[j]}]`);
  }
  if (actionSpace.kind === "discrete") {
    if (!(Number.isInteger(actionSpace.n) && actionSpace.n >= 1) || actionSpace.labels.length !== actionSpace.n) {
      problems.add("action_space", `a discrete space needs n ≥ 1 and n labels, got n=${actionSpace.n}, ${actionSpace.labels.length} labels`);
    }
  } else {
    if (actionSpace.kind === "hybrid") {
      const signs = actionSpace.sideSigns;
      const ok = signs.length === actionSpace.sides.length && signs.length >= 2 && [-1, 0, 1].every((s) => signs.filter((x) => x === s).length <= 1);
      if (!ok) problems.add("action_space", "a hybrid space needs one label per side and each sign (−1, 0, +1) on at most one side");
    }
    const n = actionSpace.shape.reduce((a, b) => a * b, 1);
    const ordered = (j: number) => actionSpace.low[j]! <= actionSpace.high[j]! && Number.isFinite(actionSpace.low[j]! + actionSpace.high[j]!);
    if (!(n >= 1) || actionSpace.low.length !== n || actionSpace.high.length !== n || actionSpace.labels.length !== n || !Array.from({ length: n }, (_, j) => j).every(ordered)) {
      problems.add("action_space", `a box action space needs ${n} finite, ordered bounds and as many labels`);
    }
  }
}

export function checkObservation(problems: Problems, space: BoxSpace, obs: ArrayLike<number>, where: string): void {
  if (!(obs instanceof Float32Array)) problems.add("observation_type", `${where}: observations must be Float32Array`);
  for (let j = 0; j < obs.length; j++) {
    if (!Number.isFinite(obs[j]!)) {
      problems.add("observation_finite", `${where}: ${space.labels[j] ?? j} = ${obs[j]}`);
      return;
    }
  }
  if (!spaceContains(space, obs)) {
    let j = 0;
    while (j < obs.length && obs[j]! >= space.low[j]! && obs[j]! <= space.high[j]!) j++;
    problems.add("observation_in_space", `${where}: ${space.labels[j] ?? j} = ${obs[j]} outside [${space.low[j]}, ${space.high[j]}] (or wrong size ${obs.length})`);
  }
}

function checkPortfolio(problems: Problems, env: TradingEnv, info: EnvInfo, where: string): void {
  const { market, initialCash, initialCoins } = env.model;
  if (!(info.cash >= 0 && info.coins >= 0 && Number.isFinite(info.cash + info.coins))) {
    problems.add("portfolio_non_negative", `${where}: cash ${info.cash}, coins ${info.coins}`);
  }
  if (info.timestamp !== market.timestamp[info.row] || info.price !== market.close[info.row]) {
    problems.add("info_clock", `${where}: row ${info.row} has timestamp ${market.timestamp[info.row]} and close ${market.close[info.row]}, info says ${info.timestamp} and ${info.price}`);
  }
  if (!close(info.value, info.cash + info.coins * info.price)) {
    problems.add("info_value", `${where}: value ${info.value} ≠ cash + coins × price = ${info.cash + info.coins * info.price}`);
  }
  if (!close(info.holdValue, initialCash + initialCoins * info.price) || !close(info.profitVsHold, info.value - info.holdValue)) {
    problems.add("info_hold", `${where}: holdValue ${info.holdValue} / profitVsHold ${info.profitVsHold} inconsistent with the starting mix`);
  }
}

function checkStepInfo(problems: Problems, env: TradingEnv, prev: EnvInfo, info: StepInfo, where: string): void {
  checkPortfolio(problems, env, info, where);
  if (info.step !== prev.step + 1 || info.row !== prev.row + 1 || info.decisionRow !== prev.row) {
    problems.add("info_clock", `${where}: step/row must advance by one (step ${prev.step}→${info.step}, row ${prev.row}→${info.row}, decisionRow ${info.decisionRow})`);
  }
  if (!close(info.feesTotal, prev.feesTotal + info.fee)) problems.add("info_fees", `${where}: feesTotal ${info.feesTotal} ≠ ${prev.feesTotal} + ${info.fee}`);
  if (info.executed !== (info.holdReason === null) || info.executed !== (info.side !== "none")) {
    problems.add("info_trade", `${where}: executed=${info.executed}, side=${info.side}, holdReason=${info.holdReason} disagree`);
  }
  if (info.executed) {
    const fp = info.fillPrice;
    if (fp === null || !(fp > 0) || !close(info.fee, env.config.commission * info.notional) || !close(Math.abs(info.coinsDelta) * fp, info.notional * (info.side === "buy" ? 1 - env.config.commission : 1))) {
      problems.add("info_trade", `${where}: fee ${info.fee}, notional ${info.notional}, coins ${info.coinsDelta} at ${fp} do not add up`);
    }
  } else if (info.fee !== 0 || info.notional !== 0 || info.coinsDelta !== 0 || info.cash !== prev.cash || info.coins !== prev.coins) {
    problems.add("info_trade", `${where}: a hold (${info.holdReason}) changed the portfolio or paid fees`);
  }
  if (!close(info.coins, prev.coins + info.coinsDelta)) problems.add("info_trade", `${where}: coins ${prev.coins} + ${info.coinsDelta} ≠ ${info.coins}`);
}

interface Trace {
  observations: Float32Array[];
  rewards: number[];
  flags: string[];
}

/** Plays one episode from a seeded reset with the given actions (stopping early if the episode ends). */
function play(env: TradingEnv, seed: number, actions: readonly number[]): Trace {
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
  for (let k = 0; k < a.rewards.length; k++) if (!Object.is(a.rewards[k], b.rewards[k])) return false;
  return a.observations.every((o, k) => {
    const p = b.observations[k]!;
    return o.length === p.length && o.every((v, j) => Object.is(v, p[j]));
  });
}

/** Checks a single env built by `factory` (called several times: instances must not share state). */
export function checkEnv(factory: () => TradingEnv, options: EnvCheckOptions = {}): EnvCheckResult {
  const seed = options.seed ?? 12345;
  const episodes = options.episodes ?? 3;
  const maxSteps = options.maxStepsPerEpisode ?? 2_000;
  const problems = new Problems();
  let steps = 0;
  const env = factory();
  checkSpaces(env.observationSpace, env.actionSpace, problems);
  expectEnvError(problems, "step_before_reset", "step_before_reset", () => env.step(sampleAction(env.actionSpace, new Rng(0))));

  const rng = new Rng(seed);
  const { model } = env;
  for (let e = 0; e < episodes; e++) {
    const episodeSeed = seed + e;
    const reset = env.reset({ seed: episodeSeed });
    let prev: EnvInfo = reset.info;
    checkObservation(problems, env.observationSpace, reset.observation, `episode ${e} reset`);
    checkPortfolio(problems, env, prev, `episode ${e} reset`);
    if (prev.step !== 0 || prev.cash !== model.initialCash || prev.coins !== model.initialCoins || prev.feesTotal !== 0) {
      problems.add("reset_state", `episode ${e}: reset must start at step 0 with the starting mix and no fees`);
    }
    const actions: number[] = [];
    let ended = false;
    for (let k = 0; k < maxSteps && !ended; k++) {
      const a = sampleAction(env.actionSpace, rng);
      actions.push(a);
      const r = env.step(a);
      steps++;
      const where = `episode ${e} step ${k + 1}`;
      checkObservation(problems, env.observationSpace, r.observation, where);
      if (!Number.isFinite(r.reward)) problems.add("reward_finite", `${where}: reward ${r.reward}`);
      if (typeof r.terminated !== "boolean" || typeof r.truncated !== "boolean") problems.add("flags", `${where}: terminated/truncated must be booleans`);
      checkStepInfo(problems, env, prev, r.info, where);
      const ruined = r.info.value < model.ruinFraction * r.info.startValue;
      if (r.terminated !== ruined) problems.add("terminated", `${where}: terminated=${r.terminated} but value ${r.info.value} vs start ${r.info.startValue} × ${model.ruinFraction}`);
      const timeUp = model.fullEpisode ? r.info.row === model.market.lastRow : r.info.step === model.episodeLength;
      if (r.truncated !== timeUp) problems.add("truncated", `${where}: truncated=${r.truncated} at step ${r.info.step}, row ${r.info.row}`);
      if (!model.fullEpisode && r.info.step > model.episodeLength) problems.add("episode_length", `${where}: longer than ${model.episodeLength} steps`);
      ended = r.terminated || r.truncated;
      prev = r.info;
    }
    if (ended) expectEnvError(problems, "step_after_end", "step_after_end", () => env.step(sampleAction(env.actionSpace, rng)));

    // Same seed, same actions → the same episode: on this instance (reset) and on a fresh one (no hidden state).
    const replay = actions.slice(0, 200);
    const first = play(env, episodeSeed, replay);
    const again = play(env, episodeSeed, replay);
    const fresh = play(factory(), episodeSeed, replay);
    if (!sameTrace(first, again)) problems.add("reset_determinism", `episode ${e}: reset with seed ${episodeSeed} did not replay the episode bit for bit`);
    if (!sameTrace(first, fresh)) problems.add("step_determinism", `episode ${e}: a fresh env with the same seed and actions diverged`);
  }
  return { ok: problems.list.length === 0, problems: problems.list, steps };
}

/** Checks a vectorised env: buffers, spaces, auto-reset outputs and determinism across instances. */
export function checkVecEnv(factory: () => VecEnv, options: EnvCheckOptions & { readonly vecSteps?: number } = {}): EnvCheckResult {
  const seed = options.seed ?? 12345;
  const vecSteps = options.vecSteps ?? 1_200;
  const problems = new Problems();
  const env = factory();
  const n = env.numEnvs;
  const size = env.observationSize;
  checkSpaces(env.observationSpace, env.actionSpace, problems);
  if (size !== env.observationSpace.low.length) problems.add("observation_space", `observationSize ${size} ≠ space size ${env.observationSpace.low.length}`);
  const rng = new Rng(seed);
  const actionsOf = (): Int32Array | Float32Array => sampleActions(env.actionSpace, rng, n);
  expectEnvError(problems, "step_before_reset", "step_before_reset", () => env.step(actionsOf()));

  const twin = factory();
  const obs0 = env.reset(seed);
  const twinObs0 = twin.reset(seed);
  if (obs0.length !== n * size) problems.add("buffers", `observations must hold ${n} × ${size} values, got ${obs0.length}`);
  if (!obs0.every((v, j) => Object.is(v, twinObs0[j]))) problems.add("reset_determinism", "two envs reset with the same seed differ");
  for (let i = 0; i < n; i++) checkObservation(problems, env.observationSpace, obs0.subarray(i * size, (i + 1) * size), `env ${i} reset`);

  let finishedCount = 0;
  for (let k = 0; k < vecSteps; k++) {
    const actions = actionsOf();
    const r = env.step(actions);
    const t = twin.step(actions);
    const where = `step ${k + 1}`;
    if (r.rewards.length !== n || r.terminated.length !== n || r.truncated.length !== n || r.finalObservations.length !== n * size) {
      problems.add("buffers", `${where}: per-env buffers must have ${n} entries`);
    }
    for (let i = 0; i < n; i++) {
      const row = r.observations.subarray(i * size, (i + 1) * size);
      checkObservation(problems, env.observationSpace, row, `${where} env ${i}`);
      if (!Number.isFinite(r.rewards[i]!)) problems.add("reward_finite", `${where} env ${i}: reward ${r.rewards[i]}`);
      if (r.terminated[i]! > 1 || r.truncated[i]! > 1) problems.add("flags", `${where} env ${i}: flags must be 0 or 1`);
      if (r.terminated[i] === 1 || r.truncated[i] === 1) {
        finishedCount++;
        checkObservation(problems, env.observationSpace, r.finalObservations.subarray(i * size, (i + 1) * size), `${where} env ${i} final`);
        const f = r.finishedEpisodes;
        if (!(f.length[i]! >= 1) || !Number.isFinite(f.returnSum[i]! + f.profit[i]! + f.totalReturn[i]!) || !(f.totalReturn[i]! >= -1)) {
          problems.add("finished_episodes", `${where} env ${i}: length ${f.length[i]}, return ${f.returnSum[i]}, profit ${f.profit[i]}, total return ${f.totalReturn[i]}`);
        }
      }
    }
    const same =
      r.observations.every((v, j) => Object.is(v, t.observations[j])) &&
      r.rewards.every((v, j) => Object.is(v, t.rewards[j])) &&
      r.terminated.every((v, j) => v === t.terminated[j]) &&
      r.truncated.every((v, j) => v === t.truncated[j]);
    if (!same) problems.add("step_determinism", `${where}: two envs with the same seed and actions diverged`);
  }
  if (finishedCount === 0) problems.add("auto_reset", `no episode finished in ${vecSteps} steps: auto-reset was not exercised (raise vecSteps)`);
  return { ok: problems.list.length === 0, problems: problems.list, steps: vecSteps * n };
}
