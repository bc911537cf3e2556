/**
 * One decision of the live trader, on the training code path: the checkpoint's feature specs and fitted
 * normalisation (`featuresFromConfig`), the env's prepared market and observation (`prepareMarket`,
 * `writeObservation`), the policy's recurrent step, the env's action scheme (`decide`), then the risk manager.
 * Nothing here re-implements the env: the trader, the replay and the bench call exactly what the backtest calls,
 * on the candles the trader has seen.
 *
 * Features are computed over the history the trader holds (they are causal and prefix-stable: row t of a longer
 * series equals row t of the series cut at t) — only its last rows when the features' look-back is bounded (the
 * article's percentage changes) — then only the last `window` rows are prepared for the observation, so a tick
 * costs one feature pass over the context it needs, not a whole market preparation.
 */
import type { Candles } from "../data/candles.js";
import { Order, HOLD_REASONS, type ActionScheme } from "../env/actions/index.js";
import { createActionScheme } from "../env/actions/index.js";
import type { EnvConfig } from "../env/config.js";
import { featureLookbackRows, featuresFromConfig, featureStartRow } from "../env/features-from-config.js";
import { prepareMarket } from "../env/market.js";
import { observationLayout, writeObservation, type ObservationLayout } from "../env/observation.js";
import { resolveEnvConfig } from "../env/presets.js";
import type { FeatureMatrix } from "../features/feature-matrix.js";
import type { Policy } from "../agent/policy.js";
import { composeOrderFilters, type OrderFilter } from "../env/order-filter.js";
import type { RiskOrderFilter } from "./risk/risk-filter.js";
import type { FillTerms, RiskCode, RiskVerdict } from "./risk/risk-manager.js";

/** The part of a checkpoint's env config a trader needs, resolved once. */
export class DecisionModel {
  readonly config: EnvConfig;
  readonly actions: ActionScheme;
  readonly terms: FillTerms;
  /** The first history row a decision may be taken on (the features' warm-up and look-back, as the backtest's first row). */
  readonly firstDecisionRow: number;
  /** Rows prepared per observation: the look-back window (at least 2: a prepared market needs two rows). */
  readonly tailRows: number;
  /** Rows the features of the observation depend on, when bounded (the article's features); null: the whole history. */
  readonly contextRows: number | null;
  /** The config the tail market is prepared with: the same features, fills and observation, no episode range. */
  private readonly marketConfig: EnvConfig;
  private layoutCache: ObservationLayout | null = null;

  constructor(
    config: EnvConfig,
    /** Starting mix for the observation's pnl_vs_hold (the env's initialCash / initialCoins in a replay). */
    readonly start: { readonly cash: number; readonly coins: number } = { cash: config.initialCash, coins: config.initialCoins },
  ) {
    this.config = config;
    this.actions = createActionScheme(config);
    const slip = config.fill.slippageBps / 10_000;
    this.terms = { commission: config.commission, buyFactor: 1 + slip, sellFactor: 1 - slip };
    this.firstDecisionRow = featureStartRow(config.observation);
    this.tailRows = Math.max(2, config.observation.window);
    const lookback = featureLookbackRows(config.observation);
    this.contextRows = lookback === null ? null : Math.max(this.tailRows, config.observation.window + lookback - 1);
    const f = config.observation.features;
    // skipWarmup only moves where episodes may start; the tail market must accept its first rows.
    const features = f.kind === "specs" ? { ...f, skipWarmup: false } : f;
    this.marketConfig = resolveEnvConfig({ ...config, observation: { ...config.observation, features }, episode: { mode: "full" } });
  }

  get layout(): ObservationLayout | null {
    return this.layoutCache;
  }

  /** Features of the whole history (the training code path). */
  features(history: Candles): FeatureMatrix {
    return featuresFromConfig(history, this.config.observation.features);
  }

  /** The part of the history the last observation depends on: its tail when that is bounded, else all of it. */
  context(history: Candles): Candles {
    const n = this.contextRows;
    if (n === null || history.length <= n) return history;
    const from = history.length - n;
    return {
      meta: history.meta,
      length: n,
      timestamp: history.timestamp.subarray(from),
      open: history.open.subarray(from),
      high: history.high.subarray(from),
      low: history.low.subarray(from),
      close: history.close.subarray(from),
      volume: history.volume.subarray(from),
    };
  }

  /**
   * Writes the observation of the history's last row with portfolio (cash, coins) into `out` (allocated when
   * omitted) and returns it with the layout. The history must hold at least two rows.
   */
  observe(history: Candles, features: FeatureMatrix, cash: number, coins: number, out?: Float32Array): { observation: Float32Array; layout: ObservationLayout } {
    const n = history.length;
    const k = Math.min(n, this.tailRows);
    const from = n - k;
    const tail: Candles = {
      meta: history.meta,
      length: k,
      timestamp: history.timestamp.subarray(from),
      open: history.open.subarray(from),
      high: history.high.subarray(from),
      low: history.low.subarray(from),
      close: history.close.subarray(from),
      volume: history.volume.subarray(from),
    };
    const tailFeatures: FeatureMatrix = { names: features.names, rows: k, cols: features.cols, values: features.values.subarray(from * features.cols) };
    const market = prepareMarket(tail, tailFeatures, this.marketConfig);
    const layout = (this.layoutCache ??= observationLayout(market, this.config.observation, this.start.cash, this.start.coins));
    const obs = out ?? new Float32Array(layout.size);
    writeObservation(market, layout, k - 1, cash, coins, obs, 0);
    return { observation: obs, layout };
  }
}

/** The portfolio at a decision. Totals feed the observation; what is available sizes the order. */
export interface DecisionPortfolio {
  readonly cash: number;
  readonly coins: number;
  readonly cashAvailable: number;
  readonly coinsAvailable: number;
}

export interface TickDecision {
  /** Close of the decision bar (the decision price). */
  readonly price: number;
  readonly observation: Float32Array;
  readonly action: number;
  readonly probabilities: readonly number[];
  readonly criticValue: number;
  /** The tick's HoldCode after every filter (0: the order trades). */
  readonly holdCode: number;
  /** Why the tick holds (the action scheme's, the guidance's or the risk manager's reason); null when it trades. */
  readonly holdReason: string | null;
  /** What the action scheme proposed (before guidance and risk). */
  readonly proposedSpend: number;
  readonly proposedSell: number;
  /** What the risk manager did (a copy). */
  readonly risk: RiskVerdict;
  /** The order to send (both 0: a hold). */
  readonly order: Order;
  /** The policy's recurrent state after this step. */
  readonly policyState: Float64Array;
}

/**
 * One decision on the last bar of `history`: observation → policy (greedy) → action scheme → guidance filter →
 * risk filter, the env's own order-filter chain (hard caps last, so they win). `row` passed to the filters is
 * the history's last row; the filters read the decision time from their own clock.
 */
export function decideOnHistory(
  model: DecisionModel,
  fullHistory: Candles,
  policy: Policy<unknown>,
  filters: { readonly guidance: OrderFilter | null; readonly risk: RiskOrderFilter },
  portfolio: DecisionPortfolio,
): TickDecision {
  const history = model.context(fullHistory);
  const features = model.features(history);
  const price = history.close[history.length - 1]!;
  const { observation } = model.observe(history, features, portfolio.cash, portfolio.coins);
  const step = policy.act(observation, { mode: "greedy" });
  const order = new Order();
  let code = model.actions.decide(step.action, portfolio.cashAvailable, portfolio.coinsAvailable, price, order);
  const proposedSpend = order.spendUsd;
  const proposedSell = order.sellCoins;
  const chain = filters.guidance === null ? filters.risk : composeOrderFilters(filters.guidance, filters.risk);
  code = chain.filter(code, order, portfolio.cashAvailable, portfolio.coinsAvailable, price, history.length - 1);
  const v = filters.risk.last;
  return {
    price,
    observation,
    action: step.action,
    probabilities: step.probabilities,
    criticValue: step.value,
    holdCode: code,
    holdReason: HOLD_REASONS[code] ?? null,
    proposedSpend,
    proposedSell,
    risk: { code: v.code, detail: v.detail, alerts: [...v.alerts] },
    order,
    policyState: policy.getState(),
  };
}

export type { RiskCode };
