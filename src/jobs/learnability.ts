/**
 * The learnability suite: can an agent preset find a structure planted in a market (src/data/planted-markets.ts)?
 * For each market × preset × seed: generate the market (the seed also seeds the market), train on its first part,
 * backtest greedily on the rest (out of sample, same process, a path never trained on) in the article's env,
 * next to buy-and-hold, the moving-average crossover and the perfect-foresight bound. The summary gives, per
 * market and preset, the mean and a bootstrap 95% interval over seeds of the excess return over buy-and-hold of
 * the agent, of the crossover, of perfect foresight, and of the agent minus the crossover.
 */
import { FLOW_LAG_OBSERVATION, MULTI_HORIZON_OBSERVATION, train, type TrainConfigInput } from "../agent/index.js";
import type { Candles } from "../data/candles.js";
import { plantedMarket, type PlantedMarketOptions } from "../data/planted-markets.js";
import { agentBacktestPolicy } from "../eval/agent-policy.js";
import { runExperiment } from "../eval/experiment.js";
import type { BacktestMetrics } from "../eval/metrics.js";
import { bootstrapCI, mean } from "../eval/stats.js";
import type { StopSignal } from "../util/errors.js";

/**
 * What the default preset had before the trend fix: one trunk for both heads, rewards × 0.01 per USD, an
 * entropy bonus of 0.01, the profit against holding among the portfolio inputs. The ablation's rows pin what
 * they ran with.
 */
const BEFORE_TREND_FIX = { network: { sharedTrunk: true }, ppo: { rewardUnit: "env", rewardScale: 0.01, entropyCoef: 0.01 } } as const;
const SLOW_UPDATE = { updateEpochs: 2, learningRate: 0.001 } as const;
/** The first two ablation rows' network and update: 10 + 10 units, 16-step sequences of 64-step rollouts. */
const BPTT16 = {
  network: { ...BEFORE_TREND_FIX.network, denseUnits: 10, lstmUnits: 10 },
  ppo: { ...BEFORE_TREND_FIX.ppo, rolloutSteps: 64, sequenceLength: 16, numMinibatches: 2, ...SLOW_UPDATE, gamma: 0.98 },
} as const;

/**
 * The ablation of docs/ppo.md, from the article's agent to the default preset one change at a time (each on the
 * article's env): the observation, the memory in the LSTM, the memory in the input, the step size, then the trend
 * fix (one trunk per head, the coin share as the one portfolio input, rewards per start value, a smaller entropy
 * bonus).
 */
export const ABLATION_VARIANTS: Readonly<Record<string, TrainConfigInput>> = {
  /** The article's agent: one bar of percentage changes, 10 + 10 units, one update per 500-step episode. */
  seed: { preset: "seed" },
  /** The article's observation and network with CleanRL's PPO details (the default preset before the rich observation). */
  "article-obs": { preset: "default", agent: { observation: null, ...BPTT16 } },
  /** + the multi-horizon observation (returns, volatility, MA gaps, volume, calendar, coin share). */
  "rich-obs": { preset: "default", agent: { observation: MULTI_HORIZON_OBSERVATION, ...BPTT16 } },
  /** + memory: 64-step sequences (one per env and rollout): the default preset until the lagged flow. */
  bptt64: { preset: "default", agent: { observation: MULTI_HORIZON_OBSERVATION, network: BEFORE_TREND_FIX.network, ppo: { ...BEFORE_TREND_FIX.ppo, ...SLOW_UPDATE } } },
  /** + lagged copies of the 12-bar volume flow (memory in the input). */
  "flow-lags": { preset: "default", agent: { observation: FLOW_LAG_OBSERVATION, network: BEFORE_TREND_FIX.network, ppo: { ...BEFORE_TREND_FIX.ppo, ...SLOW_UPDATE } } },
  /** + a 3× larger step size (0.003) and 4 epochs per update: the default preset until the trend fix. */
  fast: { preset: "default", agent: { observation: FLOW_LAG_OBSERVATION, ...BEFORE_TREND_FIX } },
  /** + one dense → LSTM trunk per head (the value loss no longer shapes the policy's features). */
  "sep-trunk": { preset: "default", agent: { observation: FLOW_LAG_OBSERVATION, ppo: BEFORE_TREND_FIX.ppo } },
  /** + the coin share as the one portfolio input (no profit against holding). */
  "coin-share": { preset: "default", agent: { ppo: BEFORE_TREND_FIX.ppo } },
  /** + rewards per start value. */
  "per-start-value": { preset: "default", agent: { ppo: { entropyCoef: BEFORE_TREND_FIX.ppo.entropyCoef } } },
  /** + an entropy bonus of 0.001 (was 0.01): the default preset. */
  default: { preset: "default" },
  /** The default preset with one trunk for both heads (what the separate trunks bring, given the rest). */
  "shared-trunk": { preset: "default", agent: { network: BEFORE_TREND_FIX.network } },
  /** `bptt64` with the faster update, without the lagged flow (what the step size alone brings). */
  "fast-no-flow": { preset: "default", agent: { observation: MULTI_HORIZON_OBSERVATION, ...BEFORE_TREND_FIX } },
  /** The default preset acting with the hybrid action (side + continuous size). */
  hybrid: { preset: "hybrid" },
};

export interface LearnabilityMarket {
  readonly label: string;
  readonly options: PlantedMarketOptions;
}

export interface LearnabilityPreset {
  readonly label: string;
  /** The training config (without data, seed, out); steps come from `steps` unless given here. */
  readonly train: TrainConfigInput;
}

export interface LearnabilityOptions {
  readonly markets: readonly LearnabilityMarket[];
  readonly presets: readonly LearnabilityPreset[];
  readonly seeds: readonly number[];
  /** Env steps per training run. */
  readonly steps: number;
  /** Share of the bars trained on (default 0.7); the rest is the test window. */
  readonly trainFraction?: number;
  /** Grid of the perfect-foresight DP (default 201). */
  readonly gridSize?: number;
  readonly log?: (line: string) => void;
  /** Stops at the next update of the running training: that run is dropped, the finished ones are summarised. */
  readonly signal?: AbortSignal;
}

/** One run: excess returns over buy-and-hold on the test window (simple returns, 0.05 = 5 points). */
export interface LearnabilityRun {
  readonly market: string;
  readonly preset: string;
  readonly seed: number;
  readonly agent: number;
  readonly maCrossover: number;
  readonly perfectForesight: number;
  readonly trades: number;
  readonly seconds: number;
}

export interface Interval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

export interface LearnabilityCell {
  readonly market: string;
  readonly preset: string;
  readonly runs: number;
  readonly agent: Interval;
  readonly maCrossover: Interval;
  readonly perfectForesight: Interval;
  /** Agent minus crossover, per seed. */
  readonly agentVsCrossover: Interval;
  /** Seeds where the agent beat the crossover. */
  readonly beatsCrossover: number;
  readonly trades: number;
}

export interface LearnabilityResult {
  readonly runs: readonly LearnabilityRun[];
  readonly cells: readonly LearnabilityCell[];
  /** A Markdown table of the cells. */
  readonly table: string;
  /** The signal that stopped the suite early (the runs and cells are those that finished), else null. */
  readonly stoppedBy: StopSignal | null;
}

function interval(xs: readonly number[]): Interval {
  const ci = bootstrapCI(Float64Array.from(xs), mean, { resamples: 2000, seed: 1 });
  return { mean: ci.estimate, lo: ci.lo, hi: ci.hi };
}

const pts = (x: number): string => (100 * x).toFixed(1);
const fmt = (i: Interval): string => `${pts(i.mean)} [${pts(i.lo)}, ${pts(i.hi)}]`;

function splitIso(c: Candles, fraction: number): string {
  return new Date(c.timestamp[Math.floor(c.length * fraction)]!).toISOString();
}

export async function runLearnability(opts: LearnabilityOptions): Promise<LearnabilityResult> {
  const log = opts.log ?? (() => {});
  const runs: LearnabilityRun[] = [];
  for (const market of opts.markets) {
    for (const seed of opts.seeds) {
      const candles = plantedMarket(market.options, seed);
      const split = splitIso(candles, opts.trainFraction ?? 0.7);
      for (const preset of opts.presets) {
        const t0 = performance.now();
        const r = await train({ steps: opts.steps, ...preset.train, candles, trainEnd: split, seed, out: null, progress: "none" }, { write: () => {}, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
        if (r.status === "interrupted") {
          log(`${market.label} / ${preset.label} / seed ${seed}: stopped by ${r.stopSignal ?? "a signal"} during training; not counted`);
          return summarise(opts, runs, r.stopSignal ?? "SIGINT");
        }
        const features = r.featuresFor(candles);
        const [result] = runExperiment({
          candles,
          env: r.env,
          ...(features ? { features } : {}),
          windows: [{ label: "test", start: split }],
          agents: () => [{ policy: agentBacktestPolicy(r.policy, "greedy"), seed }],
          evaluate: { seed, perfectForesight: { gridSize: opts.gridSize ?? 201 }, resamples: 200 },
        });
        const ev = result!.evaluation;
        const byName = (prefix: string): BacktestMetrics => ev.baselineMetrics.find((b) => b.name.startsWith(prefix))!.metrics;
        const a = ev.agentMetrics[0]!;
        const run: LearnabilityRun = {
          market: market.label,
          preset: preset.label,
          seed,
          agent: a.excessReturn,
          maCrossover: byName("ma_crossover").excessReturn,
          perfectForesight: byName("perfect_foresight").excessReturn,
          trades: a.trades,
          seconds: (performance.now() - t0) / 1000,
        };
        runs.push(run);
        log(
          `${market.label} / ${preset.label} / seed ${seed}: agent ${pts(run.agent)} pts over buy-and-hold, crossover ${pts(run.maCrossover)}, ` +
            `perfect foresight ${pts(run.perfectForesight)}, ${run.trades} trades, ${run.seconds.toFixed(0)} s`,
        );
      }
    }
  }
  return summarise(opts, runs, null);
}

/** The cells and the table over the runs that finished (all of them, or those before a stop). */
function summarise(opts: LearnabilityOptions, runs: LearnabilityRun[], stoppedBy: StopSignal | null): LearnabilityResult {
  const cells: LearnabilityCell[] = [];
  for (const market of opts.markets) {
    for (const preset of opts.presets) {
      const rs = runs.filter((r) => r.market === market.label && r.preset === preset.label);
      if (rs.length === 0) continue; // stopped before this cell's first run finished
      cells.push({
        market: market.label,
        preset: preset.label,
        runs: rs.length,
        agent: interval(rs.map((r) => r.agent)),
        maCrossover: interval(rs.map((r) => r.maCrossover)),
        perfectForesight: interval(rs.map((r) => r.perfectForesight)),
        agentVsCrossover: interval(rs.map((r) => r.agent - r.maCrossover)),
        beatsCrossover: rs.filter((r) => r.agent > r.maCrossover).length,
        trades: mean(rs.map((r) => r.trades)),
      });
    }
  }
  const header =
    "| market | preset | seeds | agent − B&H (pts) | MA crossover − B&H | perfect foresight − B&H | agent − crossover | agent beats crossover | trades |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  const table =
    header +
    cells
      .map((c) => `| ${c.market} | ${c.preset} | ${c.runs} | ${fmt(c.agent)} | ${fmt(c.maCrossover)} | ${fmt(c.perfectForesight)} | ${fmt(c.agentVsCrossover)} | ${c.beatsCrossover}/${c.runs} | ${c.trades.toFixed(0)} |`)
      .join("\n");
  return { runs, cells, table, stoppedBy };
}
