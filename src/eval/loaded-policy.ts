/**
 * A saved policy as a backtest sees it. The checkpoint format belongs to the agent; evaluation and the jobs
 * see it only through this interface (src/eval/agent-policy.ts adapts the agent's checkpoints).
 */
import type { Candles } from "../data/candles.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import type { EnvConfig, EnvModel } from "../env/index.js";
import type { BacktestPolicy } from "./backtest.js";

/** A checkpoint as the backtest needs it. */
export interface LoadedPolicy {
  /** The checkpoint folder. */
  readonly dir: string;
  /** The env config the policy was trained with. */
  readonly env: EnvConfig;
  /** Training seed. */
  readonly seed: number;
  /** Anything the manifest says about the training data (hash, range), for the report. */
  readonly trainedOn: Readonly<Record<string, unknown>>;
  /**
   * The settings that make checkpoints seeds of one run (agent config, env config, training data and budget):
   * a folder of checkpoints is evaluated as seeds only when these agree. Absent: not checked.
   */
  readonly identity?: Readonly<Record<string, unknown>>;
  /** How its training ended: "complete", or "interrupted" / "partial" / "time_limit" with updates done of planned. */
  readonly training?: { readonly status: string; readonly updates: number; readonly numUpdates: number };
  /** metrics.jsonl next to the checkpoint, if any. */
  readonly trainingLogPath: string | null;
  /**
   * Throws EvalError("checkpoint_mismatch") naming the field when the policy cannot run on this model:
   * features, observation layout, normalisation or action space differ.
   */
  checkCompatible(model: EnvModel): void;
  /**
   * The observation features the policy was trained on, computed for `candles` (its feature specs, normalised
   * with the statistics saved at training time); null: the env config's own features.
   */
  featuresFor(candles: Candles): FeatureMatrix | null;
  /** A fresh policy: greedy (most likely action) or sampled (from the run's seeded stream). */
  makePolicy(mode: "greedy" | "sample"): BacktestPolicy;
}

export type PolicyLoader = (dir: string) => Promise<LoadedPolicy>;
