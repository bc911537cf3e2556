import { Rng } from "../util/rng.js";
import type { HoldReason } from "./actions/action-scheme.js";
import { RewardInput, type RewardScheme } from "./rewards/reward-scheme.js";
import type { EnvInfo, ResetOptions, StepInfo, TradingEnv } from "./trading-env.js";

/**
 * One played episode, columnar: entry 0 is the reset, entry k the state after step k. For teaching, analysis and
 * plots (notebooks, reports); training uses the vec env.
 */
export interface EpisodeRecord {
  /** Steps played. */
  readonly steps: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  /** steps + 1 entries each. */
  readonly row: Int32Array;
  readonly timestamp: Float64Array;
  readonly price: Float64Array;
  readonly cash: Float64Array;
  readonly coins: Float64Array;
  readonly value: Float64Array;
  readonly holdValue: Float64Array;
  /** steps entries each: what step k (1-based) did is at index k − 1. */
  readonly action: Float64Array;
  readonly reward: Float64Array;
  readonly fee: Float64Array;
  readonly notional: Float64Array;
  /** +1 bought, −1 sold, 0 nothing traded. */
  readonly side: Int8Array;
  /** Why each non-trade held (null where it traded). */
  readonly holdReason: readonly (HoldReason | null)[];
}

/** Chooses an action from what the agent sees; `rng` is the policy's own seeded stream. */
export type Policy = (observation: Float32Array, info: EnvInfo, rng: Rng) => number;

export interface RecordOptions {
  /** Seed of the env's reset (episode start). */
  readonly seed?: number;
  /** Seed of the policy's random stream (default: `seed`). */
  readonly policySeed?: number;
  readonly options?: ResetOptions;
  /** Stop after this many steps even if the episode goes on. */
  readonly maxSteps?: number;
}

/** Plays one episode of `env` with `policy` and records it. */
export function recordEpisode(env: TradingEnv, policy: Policy, opts: RecordOptions = {}): EpisodeRecord {
  const rng = new Rng(opts.policySeed ?? opts.seed ?? 0);
  const reset = env.reset({ ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...(opts.options === undefined ? {} : { options: opts.options }) });
  const infos: EnvInfo[] = [reset.info];
  const steps: StepInfo[] = [];
  const rewards: number[] = [];
  let observation = reset.observation;
  let info: EnvInfo = reset.info;
  let terminated = false;
  let truncated = false;
  const maxSteps = opts.maxSteps ?? Infinity;
  while (!terminated && !truncated && steps.length < maxSteps) {
    const r = env.step(policy(observation, info, rng));
    observation = r.observation;
    info = r.info;
    terminated = r.terminated;
    truncated = r.truncated;
    infos.push(r.info);
    steps.push(r.info);
    rewards.push(r.reward);
  }
  const col = (f: (i: EnvInfo) => number): Float64Array => Float64Array.from(infos, f);
  const stepCol = (f: (i: StepInfo) => number): Float64Array => Float64Array.from(steps, f);
  return {
    steps: steps.length,
    terminated,
    truncated,
    row: Int32Array.from(infos, (i) => i.row),
    timestamp: col((i) => i.timestamp),
    price: col((i) => i.price),
    cash: col((i) => i.cash),
    coins: col((i) => i.coins),
    value: col((i) => i.value),
    holdValue: col((i) => i.holdValue),
    action: stepCol((i) => i.action),
    reward: Float64Array.from(rewards),
    fee: stepCol((i) => i.fee),
    notional: stepCol((i) => i.notional),
    side: Int8Array.from(steps, (i) => (i.side === "buy" ? 1 : i.side === "sell" ? -1 : 0)),
    holdReason: steps.map((i) => i.holdReason),
  };
}

/** A policy drawing uniformly from the action space (the bar any agent must clear). */
export const randomPolicy =
  (env: Pick<TradingEnv, "actionSpace">): Policy =>
  (_obs, _info, rng) => {
    const s = env.actionSpace;
    return s.kind === "discrete" ? rng.int(s.n) : s.low[0]! + (s.high[0]! - s.low[0]!) * rng.uniform();
  };

/** A policy that plays `actions` in order, then `then` (default 0) forever. */
export const scriptedPolicy =
  (actions: readonly number[], then = 0): Policy =>
  (_obs, info) =>
    info.step < actions.length ? actions[info.step]! : then;

/**
 * The rewards `scheme` would have paid along a recorded trajectory (the same fills, values and fees), to
 * compare reward schemes on one path. Scoring with the env's own scheme gives back the recorded rewards.
 */
export function scoreTrajectory(scheme: RewardScheme, record: EpisodeRecord): Float64Array {
  const memory = new Float64Array(scheme.stateSize);
  scheme.start(memory, 0, record.value[0]!);
  const input = new RewardInput();
  const out = new Float64Array(record.steps);
  for (let k = 0; k < record.steps; k++) {
    input.prevValue = record.value[k]!;
    input.value = record.value[k + 1]!;
    input.prevHoldValue = record.holdValue[k]!;
    input.holdValue = record.holdValue[k + 1]!;
    input.notional = record.notional[k]!;
    input.fee = record.fee[k]!;
    out[k] = scheme.reward(input, memory, 0);
  }
  return out;
}
