/**
 * The risk manager as an env `OrderFilter` (src/env/order-filter.ts): composed after the coach's guidance filter
 * so that hard caps win, the same object in a backtest and in the live trader, so that a replay and its backtest
 * agree with risk limits on.
 *
 * Fills: the live trader attributes each of its fills explicitly (RiskManager.recordFill, from the journal, at the
 * time of the decision that placed the order). In a backtest every change of the portfolio between two ticks is
 * the previous tick's fill, so with `inferFills` the filter attributes it itself, at the previous decision's time:
 * both paths feed the risk manager the same fills at the same times.
 */
import { HoldCode, type Order } from "../../env/actions/action-scheme.js";
import type { EnvModel } from "../../env/core.js";
import type { OrderFilter } from "../../env/order-filter.js";
import { newVerdict, riskPasses, RiskManager, type RiskVerdict } from "./risk-manager.js";
import { NO_MARKET_RULES, type MarketRules, type RiskLimits } from "./risk-config.js";

/** The HoldCode a risk hold becomes in env traces. */
export function riskHoldCode(verdict: RiskVerdict): HoldCode {
  if (verdict.code === "exposure_full") return HoldCode.EXPOSURE_CAP;
  return HoldCode.RISK_LIMIT;
}

export class RiskOrderFilter implements OrderFilter {
  /** What the risk manager did on the last tick (the trader journals it; a backtest can record it). */
  readonly last: RiskVerdict = newVerdict();
  private prev: { cash: number; coins: number; time: number } | null = null;

  constructor(
    readonly risk: RiskManager,
    /** Market time of a decision on `row`: the bar's close. */
    private readonly time: (row: number) => number,
    private readonly inferFills: boolean,
  ) {}

  filter(code: HoldCode, order: Order, cash: number, coins: number, price: number, row: number): HoldCode {
    const t = this.time(row);
    if (this.inferFills && this.prev !== null && coins !== this.prev.coins) this.risk.recordFill(this.prev.time, coins - this.prev.coins, cash - this.prev.cash);
    this.prev = { cash, coins, time: t };
    // A hold still goes through the review: the valuation updates the peak, the day and the kill switch.
    this.risk.review(order, { time: t, cash, coins, price, valid: true }, this.last);
    if (code !== HoldCode.TRADE) return code;
    return riskPasses(this.last.code) ? HoldCode.TRADE : riskHoldCode(this.last);
  }
}

/** A backtest's risk filter for `model` with bars of `barMs` (decisions on bar closes; fills inferred from the portfolio). */
export function backtestRiskFilter(model: EnvModel, limits: RiskLimits, barMs: number, market: MarketRules = NO_MARKET_RULES): RiskOrderFilter {
  const ts = model.market.timestamp;
  const slip = model.config.fill.slippageBps / 10_000;
  const risk = new RiskManager(limits, market, { commission: model.commission, buyFactor: 1 + slip, sellFactor: 1 - slip });
  return new RiskOrderFilter(risk, (row) => ts[row]! + barMs, true);
}
