import type { BoxSpace, DiscreteSpace, HybridSpace, Space } from "../env/spaces.js";
import type { FinishedEpisodeStats, VecEnv, VecStepResult } from "../env/vec-env.js";
import { deriveSeed, Rng } from "../util/rng.js";

/**
 * Two small VecEnvs with known optimal behaviour, for the agent's learning tests (and as teaching examples):
 *   - PatternMarketEnv: a market whose return regime persists, so the last return predicts the next one;
 *     the agent must capture a share of the perfect-foresight profit;
 *   - CueMemoryEnv: a cue shown at an episode's first step decides the right action at its last step, and
 *     nothing in between tells it: a memoryless policy is right half the time, an LSTM always.
 * Both come with three action spaces (`actions`), so that every policy head faces the same tasks:
 *   "discrete" (the original), "exposure" (a box [0, 1]: a continuous position or answer) and "hybrid"
 *   (hold / buy / sell with a size, encoded as one signed value like the env's side_and_size scheme).
 */
export type ToyActions = "discrete" | "exposure" | "hybrid";

const HYBRID: HybridSpace = {
  kind: "hybrid",
  shape: [1],
  low: Float64Array.of(-1),
  high: Float64Array.of(1),
  labels: ["signed size"],
  sides: ["hold", "buy", "sell"],
  sideSigns: [0, 1, -1],
};

function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function box(labels: string[]): BoxSpace {
  return {
    kind: "box",
    shape: [labels.length],
    low: new Float64Array(labels.length).fill(-Infinity),
    high: new Float64Array(labels.length).fill(Infinity),
    labels,
  };
}

abstract class ToyVecEnv implements VecEnv {
  readonly numEnvs: number;
  abstract readonly observationSpace: BoxSpace;
  abstract readonly actionSpace: Space;
  abstract readonly observationSize: number;
  protected observations!: Float32Array;
  protected finalObservations!: Float32Array;
  protected readonly rewards: Float64Array;
  protected readonly terminated: Uint8Array;
  protected readonly truncated: Uint8Array;
  protected readonly stats: { returnSum: Float64Array; length: Int32Array; profit: Float64Array; totalReturn: Float64Array };
  protected readonly rngs: Rng[] = [];
  protected readonly runningReturn: Float64Array;
  protected readonly runningLength: Int32Array;
  private started = false;

  constructor(numEnvs: number) {
    this.numEnvs = numEnvs;
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.stats = { returnSum: new Float64Array(numEnvs), length: new Int32Array(numEnvs), profit: new Float64Array(numEnvs), totalReturn: new Float64Array(numEnvs) };
    this.runningReturn = new Float64Array(numEnvs);
    this.runningLength = new Int32Array(numEnvs);
  }

  protected alloc(): void {
    this.observations = new Float32Array(this.numEnvs * this.observationSize);
    this.finalObservations = new Float32Array(this.numEnvs * this.observationSize);
  }

  /** Starts env i's next episode and writes its first observation. */
  protected abstract resetOne(i: number): void;
  /** Applies action a to env i: sets rewards[i], terminated[i], truncated[i], overwrites its observation row. */
  protected abstract stepOne(i: number, a: number): void;
  /** Episode statistics written when env i finishes (profit and total return). */
  protected abstract finishStats(i: number): { profit: number; totalReturn: number };

  reset(seed = 0): Float32Array {
    this.rngs.length = 0;
    for (let i = 0; i < this.numEnvs; i++) {
      this.rngs.push(new Rng(deriveSeed(seed, i)));
      this.runningReturn[i] = 0;
      this.runningLength[i] = 0;
      this.resetOne(i);
    }
    this.started = true;
    return this.observations;
  }

  step(actions: Int32Array | Float32Array): VecStepResult {
    if (!this.started) throw new Error("step before reset");
    const O = this.observationSize;
    for (let i = 0; i < this.numEnvs; i++) {
      this.stepOne(i, actions[i]!);
      this.runningReturn[i] = this.runningReturn[i]! + this.rewards[i]!;
      this.runningLength[i] = this.runningLength[i]! + 1;
      if (this.terminated[i] || this.truncated[i]) {
        this.finalObservations.set(this.observations.subarray(i * O, (i + 1) * O), i * O);
        const { profit, totalReturn } = this.finishStats(i);
        this.stats.returnSum[i] = this.runningReturn[i]!;
        this.stats.length[i] = this.runningLength[i]!;
        this.stats.profit[i] = profit;
        this.stats.totalReturn[i] = totalReturn;
        this.runningReturn[i] = 0;
        this.runningLength[i] = 0;
        this.resetOne(i);
      }
    }
    const finishedEpisodes: FinishedEpisodeStats = this.stats;
    return {
      observations: this.observations,
      rewards: this.rewards,
      terminated: this.terminated,
      truncated: this.truncated,
      finalObservations: this.finalObservations,
      finishedEpisodes,
    };
  }
}

export interface PatternMarketOptions {
  readonly numEnvs: number;
  /** Steps per episode (truncated at the end). */
  readonly episodeLength: number;
  /** Probability that the return regime (up or down) continues at each step. */
  readonly persistence?: number;
  /** Size of a regime's per-step return. */
  readonly drift?: number;
  /** Std of the Gaussian noise added to each return. */
  readonly noise?: number;
  /** Commission per unit of position change. */
  readonly commission?: number;
  /** "discrete": flat / long; "exposure": the position in [0, 1]; "hybrid": buy or sell a fraction (default "discrete"). */
  readonly actions?: ToyActions;
}

/**
 * Actions: 0 = flat (cash), 1 = long (all in); with "exposure" the action is the position in [0, 1]; with
 * "hybrid", +f buys f of what is not yet invested (p ← p + f·(1 − p)), −f sells f of the position (p ← p − f·p).
 * Observation: [last return × 100, current position].
 * Reward: position held over the step × the step's return, minus commission on position changes.
 * Perfect foresight (long exactly when the next return is positive, no commission) earns Σ max(r, 0).
 */
export class PatternMarketEnv extends ToyVecEnv {
  readonly observationSize = 2;
  readonly observationSpace = box(["return_pct", "position"]);
  readonly actionSpace: Space;
  private readonly opts: Required<PatternMarketOptions>;
  private readonly regime: Int8Array;
  private readonly position: Float64Array;
  private readonly lastReturn: Float64Array;
  private readonly time: Int32Array;
  private readonly perfect: Float64Array;

  constructor(opts: PatternMarketOptions) {
    super(opts.numEnvs);
    this.opts = { persistence: 0.9, drift: 0.01, noise: 0.002, commission: 0.0005, actions: "discrete", ...opts };
    this.actionSpace = actionSpaceOf(this.opts.actions, ["flat", "long"], "position");
    this.regime = new Int8Array(opts.numEnvs);
    this.position = new Float64Array(opts.numEnvs);
    this.lastReturn = new Float64Array(opts.numEnvs);
    this.time = new Int32Array(opts.numEnvs);
    this.perfect = new Float64Array(opts.numEnvs);
    this.alloc();
  }

  /** Sum of max(r, 0) over the episode that just finished in env i (or the one running). */
  perfectForesightProfit(i: number): number {
    return this.perfect[i]!;
  }

  private draw(i: number): number {
    const rng = this.rngs[i]!;
    if (rng.uniform() > this.opts.persistence) this.regime[i] = -this.regime[i]! as -1 | 1;
    return this.regime[i]! * this.opts.drift + this.opts.noise * rng.normal();
  }

  private write(i: number): void {
    this.observations[i * 2] = this.lastReturn[i]! * 100;
    this.observations[i * 2 + 1] = this.position[i]!;
  }

  protected resetOne(i: number): void {
    this.regime[i] = this.rngs[i]!.uniform() < 0.5 ? -1 : 1;
    this.position[i] = 0;
    this.time[i] = 0;
    this.lastReturn[i] = this.draw(i);
    this.write(i);
  }

  protected stepOne(i: number, a: number): void {
    const r = this.draw(i);
    const old = this.position[i]!;
    const kind = this.opts.actions;
    const pos = kind === "discrete" ? (a === 1 ? 1 : 0) : kind === "exposure" ? clip01(a) : a >= 0 ? old + clip01(a) * (1 - old) : old - clip01(-a) * old;
    const cost = this.opts.commission * Math.abs(pos - old);
    this.position[i] = pos;
    this.rewards[i] = pos * r - cost;
    if (this.time[i] === 0) this.perfect[i] = 0;
    this.perfect[i] = this.perfect[i]! + Math.max(r, 0);
    this.lastReturn[i] = r;
    this.time[i] = this.time[i]! + 1;
    this.terminated[i] = 0;
    this.truncated[i] = this.time[i]! >= this.opts.episodeLength ? 1 : 0;
    this.write(i);
  }

  protected finishStats(i: number): { profit: number; totalReturn: number } {
    return { profit: this.runningReturn[i]!, totalReturn: this.runningReturn[i]! };
  }
}

export interface CueMemoryOptions {
  readonly numEnvs: number;
  /** Blank steps between the cue and the query. */
  readonly delay: number;
  /** "discrete": answer −1 or +1; "exposure": x in [0, 1] answers 2x − 1; "hybrid": buy +f, sell −f, hold 0 (default "discrete"). */
  readonly actions?: ToyActions;
}

/**
 * Observation: [cue, query flag]. Step 0 shows the cue (±1); then `delay` blank steps [0, 0]; then the query
 * [0, 1]. The action at the query step earns +1 if it matches the cue (0 for −1, 1 for +1), else −1, and the
 * episode terminates; with "exposure" it earns (2x − 1)·cue, with "hybrid" the signed size times the cue (so
 * the full-size answer of the right side earns +1). Actions elsewhere earn nothing. Episodes last delay + 2 steps.
 */
export class CueMemoryEnv extends ToyVecEnv {
  readonly observationSize = 2;
  readonly observationSpace = box(["cue", "query"]);
  readonly actionSpace: Space;
  private readonly actionKind: ToyActions;
  private readonly delay: number;
  private readonly cue: Int8Array;
  private readonly time: Int32Array;

  constructor(opts: CueMemoryOptions) {
    super(opts.numEnvs);
    this.delay = opts.delay;
    this.actionKind = opts.actions ?? "discrete";
    this.actionSpace = actionSpaceOf(this.actionKind, ["answer -1", "answer +1"], "answer");
    this.cue = new Int8Array(opts.numEnvs);
    this.time = new Int32Array(opts.numEnvs);
    this.alloc();
  }

  private write(i: number): void {
    const t = this.time[i]!;
    this.observations[i * 2] = t === 0 ? this.cue[i]! : 0;
    this.observations[i * 2 + 1] = t === this.delay + 1 ? 1 : 0;
  }

  protected resetOne(i: number): void {
    this.cue[i] = this.rngs[i]!.uniform() < 0.5 ? -1 : 1;
    this.time[i] = 0;
    this.write(i);
  }

  protected stepOne(i: number, a: number): void {
    const query = this.time[i] === this.delay + 1;
    const cue = this.cue[i]!;
    const k = this.actionKind;
    const answer = k === "discrete" ? (a === (cue > 0 ? 1 : 0) ? 1 : -1) : k === "exposure" ? (2 * clip01(a) - 1) * cue : Math.max(-1, Math.min(1, a)) * cue;
    this.rewards[i] = query ? answer : 0;
    this.terminated[i] = query ? 1 : 0;
    this.truncated[i] = 0;
    this.time[i] = this.time[i]! + 1;
    this.write(i);
  }

  protected finishStats(i: number): { profit: number; totalReturn: number } {
    return { profit: this.rewards[i]!, totalReturn: this.rewards[i]! };
  }
}

function actionSpaceOf(kind: ToyActions, labels: [string, string], what: string): Space {
  if (kind === "discrete") return { kind: "discrete", n: 2, labels } satisfies DiscreteSpace;
  if (kind === "hybrid") return HYBRID;
  return { kind: "box", shape: [1], low: Float64Array.of(0), high: Float64Array.of(1), labels: [what] } satisfies BoxSpace;
}
