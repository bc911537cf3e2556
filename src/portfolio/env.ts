import { EnvError } from "../env/errors.js";
import type { BoxSpace, DiscreteSpace } from "../env/spaces.js";
import { deriveSeed, Rng } from "../util/rng.js";
import {
  allocPortfolioState,
  observePortfolio,
  portfolioTransition,
  PortfolioStepScratch,
  samplePortfolioStart,
  startPortfolioEpisode,
  type PortfolioState,
} from "./core.js";
import { createPortfolioModel, type PortfolioModel, type PortfolioSource } from "./model.js";
import { LEG_REASONS, LegCode } from "./rebalance.js";
import { allocVecStepResult, type FinishedEpisodeStats, type VecEnv, type VecStepResult } from "../env/vec-env.js";
import type { PortfolioConfig } from "./config.js";

/** Portfolio and clock after a reset or a step. Plain numbers and arrays (fresh objects: keep them freely). */
export interface PortfolioInfo {
  readonly step: number;
  readonly row: number;
  readonly timestamp: number;
  /** Close of every asset at the row (the valuation prices), in the market's asset order. */
  readonly prices: readonly number[];
  readonly cash: number;
  readonly coins: readonly number[];
  /** cash + Σ coins × prices. */
  readonly value: number;
  readonly startValue: number;
  /** The equal-weight buy-and-hold benchmark's value at the row. */
  readonly holdValue: number;
  /** value − holdValue. */
  readonly profitVsHold: number;
  readonly feesTotal: number;
  /** Each asset's share of the value. */
  readonly weights: readonly number[];
}

export interface PortfolioLeg {
  readonly side: "buy" | "sell" | "none";
  readonly coinsDelta: number;
  readonly notional: number;
  readonly fee: number;
  /** Fill price (slippage included); null when the leg did not trade. */
  readonly fillPrice: number | null;
  /** Why the leg did not trade ("below_min_trade", "missing_bar"); null when it traded. */
  readonly holdReason: string | null;
}

export interface PortfolioStepInfo extends PortfolioInfo {
  /** The action as given (an index, or the box's values). */
  readonly action: number | readonly number[];
  readonly decisionRow: number;
  /** The target weights the action named. */
  readonly targets: readonly number[];
  /** One entry per asset. */
  readonly legs: readonly PortfolioLeg[];
  /** Σ fees of the step's legs. */
  readonly fee: number;
  /** Σ notional of the step's legs. */
  readonly notional: number;
}

export interface PortfolioResetArgs {
  readonly seed?: number;
  readonly options?: { readonly startRow?: number };
}

export interface PortfolioStepResult {
  readonly observation: Float32Array;
  readonly reward: number;
  readonly terminated: boolean;
  readonly truncated: boolean;
  readonly info: PortfolioStepInfo;
}

/** A single Gymnasium-shaped portfolio env (the contract of the single-asset TradingEnv). */
export interface PortfolioEnv {
  readonly config: PortfolioConfig;
  readonly model: PortfolioModel;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace | BoxSpace;
  reset(args?: PortfolioResetArgs): { readonly observation: Float32Array; readonly info: PortfolioInfo };
  /** A combination index for weight_levels; K (target_weights) or K + 1 (softmax_weights) numbers for a box. */
  step(action: number | ArrayLike<number>): PortfolioStepResult;
}

export function createPortfolioEnv(source: PortfolioSource): PortfolioEnv {
  return new SinglePortfolioEnv(createPortfolioModel(source));
}

class SinglePortfolioEnv implements PortfolioEnv {
  readonly config: PortfolioConfig;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace | BoxSpace;
  private readonly state: PortfolioState;
  private readonly scratch: PortfolioStepScratch;
  private readonly actionBuf: Float64Array;
  private rng = new Rng(0);
  private started = false;

  constructor(readonly model: PortfolioModel) {
    this.config = model.config;
    this.observationSpace = model.layout.space;
    this.actionSpace = model.actions.space;
    this.state = allocPortfolioState(1, model.assets, model.rewards.stateSize);
    this.scratch = new PortfolioStepScratch(model.assets);
    this.actionBuf = new Float64Array(model.actions.actionSize);
  }

  reset(args: PortfolioResetArgs = {}): { observation: Float32Array; info: PortfolioInfo } {
    if (args.seed !== undefined) this.rng = new Rng(args.seed);
    startPortfolioEpisode(this.model, this.state, 0, samplePortfolioStart(this.model, this.rng, args.options?.startRow));
    this.started = true;
    return { observation: this.observation(), info: this.info() };
  }

  step(action: number | ArrayLike<number>): PortfolioStepResult {
    if (!this.started) throw new EnvError("step_before_reset", "call reset() before step()");
    if (this.state.done[0] === 1) throw new EnvError("step_after_end", "the episode ended (terminated or truncated): call reset() before stepping again");
    const size = this.model.actions.actionSize;
    if (typeof action === "number") {
      if (size !== 1) throw new EnvError("invalid_action", `expected ${size} numbers (a box action), got one number`, "action");
      this.actionBuf[0] = action;
    } else {
      if (typeof action !== "object" || action === null || action.length !== size) {
        throw new EnvError("invalid_action", `expected ${size === 1 ? "a number" : `${size} numbers`}, got ${describe(action)}`, "action");
      }
      for (let j = 0; j < size; j++) this.actionBuf[j] = action[j]!;
    }
    const s = this.scratch;
    portfolioTransition(this.model, this.state, 0, this.actionBuf, 0, s);
    const r = s.rebalance;
    const legs: PortfolioLeg[] = [];
    for (let k = 0; k < this.model.assets; k++) {
      const traded = r.legCode[k] === LegCode.TRADE;
      legs.push({
        side: !traded ? "none" : r.coinsDelta[k]! > 0 ? "buy" : "sell",
        coinsDelta: r.coinsDelta[k]!,
        notional: r.legNotional[k]!,
        fee: r.legFee[k]!,
        fillPrice: traded ? r.legPrice[k]! : null,
        holdReason: LEG_REASONS[r.legCode[k]!] ?? null,
      });
    }
    const info: PortfolioStepInfo = {
      ...this.info(),
      action: typeof action === "number" ? action : Array.from(action),
      decisionRow: this.state.row[0]! - 1,
      targets: Array.from(s.targets),
      legs,
      fee: r.fee,
      notional: r.notional,
    };
    return { observation: this.observation(), reward: s.reward, terminated: s.terminated, truncated: s.truncated, info };
  }

  private observation(): Float32Array {
    const out = new Float32Array(this.model.layout.size);
    observePortfolio(this.model, this.state, 0, out, 0);
    return out;
  }

  private info(): PortfolioInfo {
    const s = this.state;
    const K = this.model.assets;
    const row = s.row[0]!;
    const prices = Array.from(this.model.market.close.subarray(row * K, row * K + K));
    const coins = Array.from(s.coins.subarray(0, K));
    const value = s.value[0]!;
    return {
      step: s.steps[0]!,
      row,
      timestamp: this.model.market.timestamp[row]!,
      prices,
      cash: s.cash[0]!,
      coins,
      value,
      startValue: s.startValue[0]!,
      holdValue: s.holdValue[0]!,
      profitVsHold: value - s.holdValue[0]!,
      feesTotal: s.feesTotal[0]!,
      weights: coins.map((c, k) => (value > 0 ? (c * prices[k]!) / value : 0)),
    };
  }
}

function describe(x: unknown): string {
  if (x === null || typeof x !== "object") return typeof x;
  const len = (x as { length?: unknown }).length;
  return typeof len === "number" ? `${len} numbers` : "an object";
}

export interface PortfolioVecSource extends PortfolioSource {
  readonly numEnvs: number;
}

/** The VecEnv contract over the portfolio core (what runPpo trains on), plus read access to the model and state. */
export interface PortfolioVecEnv extends VecEnv {
  readonly actionSpace: DiscreteSpace | BoxSpace;
  readonly config: PortfolioConfig;
  readonly model: PortfolioModel;
  readonly state: PortfolioState;
}

export function createPortfolioVecEnv(source: PortfolioVecSource): PortfolioVecEnv {
  const { numEnvs } = source;
  if (!(Number.isInteger(numEnvs) && numEnvs >= 1)) throw new EnvError("invalid_config", `numEnvs must be a positive integer, got ${numEnvs}`, "numEnvs");
  return new PortfolioVecEnvImpl(createPortfolioModel(source), numEnvs);
}

/**
 * N episodes through the same core: env i behaves exactly as a single env seeded with deriveSeed(seed, i)
 * that is reset (without a seed) whenever its episode ends. Box actions come as numEnvs × actionSize values,
 * env-major. `step` allocates nothing.
 */
class PortfolioVecEnvImpl implements PortfolioVecEnv {
  readonly config: PortfolioConfig;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: DiscreteSpace | BoxSpace;
  readonly observationSize: number;
  readonly state: PortfolioState;
  private readonly rngs: Rng[];
  private readonly scratch: PortfolioStepScratch;
  private readonly observations: Float32Array;
  private readonly result: VecStepResult;
  private readonly finished: FinishedEpisodeStats;
  private started = false;

  constructor(
    readonly model: PortfolioModel,
    readonly numEnvs: number,
  ) {
    this.config = model.config;
    this.observationSpace = model.layout.space;
    this.actionSpace = model.actions.space;
    this.observationSize = model.layout.size;
    this.state = allocPortfolioState(numEnvs, model.assets, model.rewards.stateSize);
    this.scratch = new PortfolioStepScratch(model.assets);
    this.rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(deriveSeed(0, i)));
    this.result = allocVecStepResult(numEnvs, this.observationSize);
    this.observations = this.result.observations;
    this.finished = this.result.finishedEpisodes;
  }

  reset(seed?: number): Float32Array {
    const { model, state, numEnvs, observationSize } = this;
    for (let i = 0; i < numEnvs; i++) {
      if (seed !== undefined) this.rngs[i] = new Rng(deriveSeed(seed, i));
      startPortfolioEpisode(model, state, i, samplePortfolioStart(model, this.rngs[i]!));
      observePortfolio(model, state, i, this.observations, i * observationSize);
    }
    this.result.terminated.fill(0);
    this.result.truncated.fill(0);
    this.started = true;
    return this.observations;
  }

  step(actions: Int32Array | Float32Array): VecStepResult {
    if (!this.started) throw new EnvError("step_before_reset", "call reset() before step()");
    const { model, state, numEnvs, observationSize, scratch, observations, result, finished } = this;
    const size = model.actions.actionSize;
    if (actions.length !== numEnvs * size) {
      throw new EnvError("invalid_action", `expected ${numEnvs * size} action values (${numEnvs} envs × ${size}), got ${actions.length}`, "actions");
    }
    const { rewards, terminated, truncated, finalObservations } = result;
    for (let i = 0; i < numEnvs; i++) {
      portfolioTransition(model, state, i, actions, i * size, scratch);
      rewards[i] = scratch.reward;
      const term = scratch.terminated;
      const trunc = scratch.truncated;
      terminated[i] = term ? 1 : 0;
      truncated[i] = trunc ? 1 : 0;
      if (term || trunc) {
        observePortfolio(model, state, i, finalObservations, i * observationSize);
        finished.returnSum[i] = state.returnSum[i]!;
        finished.length[i] = state.steps[i]!;
        finished.profit[i] = state.value[i]! - state.holdValue[i]!;
        finished.totalReturn[i] = state.value[i]! / state.startValue[i]! - 1;
        startPortfolioEpisode(model, state, i, samplePortfolioStart(model, this.rngs[i]!));
      }
      observePortfolio(model, state, i, observations, i * observationSize);
    }
    return result;
  }
}
