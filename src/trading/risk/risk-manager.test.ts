import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Order } from "../../env/actions/action-scheme.js";
import { executeOrder, Fill } from "../../env/fill.js";
import { NO_MARKET_RULES, resolveRiskLimits, type MarketRules, type RiskLimitsInput } from "./risk-config.js";
import { floorToStep, maxSpendForExposure, newVerdict, RiskManager, riskPasses, type FillTerms, type RiskSnapshot } from "./risk-manager.js";

const TERMS: FillTerms = { commission: 0.001, buyFactor: 1, sellFactor: 1 };
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1, 10);

function manager(limits: RiskLimitsInput, market: MarketRules = NO_MARKET_RULES, terms: FillTerms = TERMS): RiskManager {
  return new RiskManager(resolveRiskLimits(limits), market, terms);
}
function snap(time: number, cash: number, coins: number, price: number, valid = true): RiskSnapshot {
  return { time, cash, coins, price, valid };
}
function buy(usd: number): Order {
  const o = new Order();
  o.spendUsd = usd;
  return o;
}
function sell(coins: number): Order {
  const o = new Order();
  o.sellCoins = coins;
  return o;
}
/** The coin share after filling `order` through the env's own fill code (an independent check of the caps). */
function exposureAfter(cash: number, coins: number, price: number, order: Order, terms: FillTerms): number {
  const f = new Fill();
  executeOrder(cash, coins, order, price * terms.buyFactor, price * terms.sellFactor, terms.commission, f);
  return (f.coins * price) / (f.cash + f.coins * price);
}

describe("R9: the risk cap beats the agent and the coach", () => {
  it("an entry of 100% of the portfolio is cut to maxTradeFraction of the value (hand-worked)", () => {
    const rm = manager({ maxTradeFraction: 0.1, maxExposure: 0.1 });
    const o = buy(10_000); // the agent asks for everything; the coach's trade_size 1.0 changes nothing
    const v = newVerdict();
    expect(rm.review(o, snap(T0, 10_000, 0, 100), v)).toBe("capped_trade");
    expect(o.spendUsd).toBe(1000);
    // The exposure bound here is 1000 / (0.999·0.9 + 0.1) = 1000.9008…: the trade cap binds first.
    expect(maxSpendForExposure(0.1, 10_000, 0, 100, TERMS)).toBeCloseTo(1000 / 0.9991, 9);
    expect(exposureAfter(10_000, 0, 100, o, TERMS)).toBeCloseTo(999 / 9999, 12);
  });

  it("the exposure cap lands exactly on the cap after fees (hand-worked)", () => {
    const rm = manager({ maxExposure: 0.5 });
    const o = buy(10_000);
    const v = newVerdict();
    expect(rm.review(o, snap(T0, 10_000, 0, 100), v)).toBe("capped_exposure");
    // x = 5000 / (0.999·0.5 + 0.5) = 5000 / 0.9995
    expect(o.spendUsd).toBeCloseTo(5000 / 0.9995, 9);
    expect(exposureAfter(10_000, 0, 100, o, TERMS)).toBeCloseTo(0.5, 12);
  });

  it("a position that already uses the cap gets no entry at all, and exits still pass", () => {
    const rm = manager({ maxExposure: 0.1 });
    const v = newVerdict();
    const o = buy(500);
    expect(rm.review(o, snap(T0, 9000, 10, 100), v)).toBe("exposure_full");
    expect(o.spendUsd).toBe(0);
    expect(riskPasses(v.code)).toBe(false);
    const s = sell(5);
    expect(rm.review(s, snap(T0, 9000, 10, 100), v)).toBe("pass");
    expect(s.sellCoins).toBe(5);
  });

  it("orders below the exchange minimum amount or notional are not sent, and say why", () => {
    const market: MarketRules = { amountStep: 0.001, costStep: 0.01, minAmount: 0.001, minNotional: 5 };
    const rm = manager({}, market);
    const v = newVerdict();
    const small = buy(4.99);
    expect(rm.review(small, snap(T0, 10_000, 1, 100), v)).toBe("below_min_notional");
    expect(small.spendUsd).toBe(0);
    expect(v.detail).toMatch(/minimum notional 5/);
    const dust = sell(0.0009);
    expect(rm.review(dust, snap(T0, 10_000, 1, 100), v)).toBe("below_min_amount");
    expect(dust.sellCoins).toBe(0);
    const tiny = sell(0.04); // 0.04 coins × 100 = 4 USD notional
    expect(rm.review(tiny, snap(T0, 10_000, 1, 100), v)).toBe("below_min_notional");
    // Amount precision truncates, it never rounds up.
    const odd = sell(0.123456);
    expect(rm.review(odd, snap(T0, 10_000, 1, 100), v)).toBe("rounded");
    expect(odd.sellCoins).toBe(0.123);
  });

  it("property: after the caps and the rounding, the fill never breaks a cap", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.constantFrom(0, 0.01, 0.1, 1),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        (cash, coins, price, maxTradeFraction, maxExposure, ask, costStep, slip) => {
          const terms = { commission: 0.00075, buyFactor: 1 + slip, sellFactor: 1 - slip };
          const rm = manager({ maxTradeFraction, maxExposure }, { amountStep: 0, costStep, minAmount: 0, minNotional: 0 }, terms);
          const value = cash + coins * price;
          const o = buy(ask * cash);
          const code = rm.review(o, snap(T0, cash, coins, price), newVerdict());
          if (!riskPasses(code)) return o.spendUsd === 0;
          if (o.spendUsd === 0) return true;
          const before = (coins * price) / value;
          expect(o.spendUsd).toBeLessThanOrEqual(maxTradeFraction * value * (1 + 1e-12));
          expect(o.spendUsd).toBeLessThanOrEqual(cash);
          // Never above the cap, unless the cap was already exceeded before (then no entry passes at all).
          expect(before).toBeLessThan(maxExposure + 1e-12);
          expect(exposureAfter(cash, coins, price, o, terms)).toBeLessThanOrEqual(maxExposure + 1e-9);
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a control message may lower the caps but never raise them past the configuration", () => {
    const rm = manager({ maxTradeFraction: 0.2, maxExposure: 0.6 });
    expect(rm.setCaps({ maxTradeFraction: 0.05 })).toEqual({ maxTradeFraction: 0.05, maxExposure: 0.6 });
    expect(rm.setCaps({ maxTradeFraction: 5, maxExposure: 2 })).toEqual({ maxTradeFraction: 0.2, maxExposure: 0.6 });
    expect(rm.setCaps({ maxExposure: Number.NaN })).toEqual({ maxTradeFraction: 0.2, maxExposure: 0.6 });
  });
});

describe("R10: protections", () => {
  it("N losing exits within the lookback lock entries for the lock time; exits still work; the lock survives a restart", () => {
    const limits = { losingStreak: 2, losingStreakLookbackMs: 24 * H, losingStreakLockMs: 12 * H };
    const rm = manager(limits);
    const v = newVerdict();
    // Buy 10 coins for 1000, sell 5 for 450 (a loss), sell 5 for 480 (another loss).
    rm.review(buy(1000), snap(T0, 10_000, 0, 100), v);
    rm.recordFill(T0, 10, -1000);
    rm.review(sell(5), snap(T0 + H, 9000, 10, 90), v);
    rm.recordFill(T0 + H, -5, 450);
    expect(rm.activeLocks(T0 + H)).toEqual([]);
    rm.review(sell(5), snap(T0 + 2 * H, 9450, 5, 96), v);
    rm.recordFill(T0 + 2 * H, -5, 480);
    const locks = rm.activeLocks(T0 + 2 * H);
    expect(locks.map((l) => [l.reason, l.until])).toEqual([["losing_streak", T0 + 14 * H]]);
    expect(rm.review(buy(100), snap(T0 + 3 * H, 9930, 0, 100), v)).toBe("entry_locked");
    expect(v.detail).toMatch(/^losing_streak until/);
    // A restart: the state goes through JSON (the journal) and the lock is still there.
    const restarted = new RiskManager(rm.limits, NO_MARKET_RULES, TERMS, JSON.parse(JSON.stringify(rm.state)));
    expect(restarted.review(buy(100), snap(T0 + 13 * H, 9930, 1, 100), v)).toBe("entry_locked");
    expect(restarted.review(sell(1), snap(T0 + 13 * H, 9930, 1, 100), v)).toBe("pass");
    expect(restarted.review(buy(100), snap(T0 + 14 * H, 9930, 0, 100), v)).toBe("pass");
  });

  it("a winning exit does not count toward the streak", () => {
    const rm = manager({ losingStreak: 1 });
    rm.review(buy(1000), snap(T0, 10_000, 0, 100), newVerdict());
    rm.recordFill(T0, 10, -1000);
    rm.review(sell(5), snap(T0 + H, 9000, 10, 110), newVerdict());
    rm.recordFill(T0 + H, -5, 550);
    expect(rm.activeLocks(T0 + H)).toEqual([]);
  });

  it("a re-entry right after an exit waits for the cooldown", () => {
    const rm = manager({ cooldownMs: 2 * H });
    const v = newVerdict();
    rm.review(sell(1), snap(T0, 0, 1, 100), v);
    rm.recordFill(T0, -1, 100);
    expect(rm.review(buy(50), snap(T0 + H, 100, 0, 100), v)).toBe("entry_locked");
    expect(rm.review(buy(50), snap(T0 + 2 * H, 100, 0, 100), v)).toBe("pass");
  });

  it("a drawdown above the maximum locks entries and says so; the daily loss locks until the next UTC day", () => {
    const dd = manager({ maxDrawdown: 0.2, drawdownLockMs: 6 * H });
    const v = newVerdict();
    dd.review(buy(0), snap(T0, 0, 1, 100), v);
    expect(dd.review(buy(10), snap(T0 + H, 10, 1, 69), v)).toBe("entry_locked"); // 79 < 0.8 × 100
    expect(v.alerts.join()).toMatch(/drawdown/);
    expect(dd.activeLocks(T0 + H)[0]).toMatchObject({ reason: "drawdown", until: T0 + 7 * H });

    const daily = manager({ dailyLossLimit: 0.05 });
    daily.review(buy(0), snap(T0, 1000, 0, 100), v); // day start 1000
    expect(daily.review(buy(10), snap(T0 + H, 940, 0, 100), v)).toBe("entry_locked");
    const nextDay = Date.UTC(2024, 0, 2);
    expect(daily.activeLocks(T0 + H)[0]?.until).toBe(nextDay);
    expect(daily.review(buy(10), snap(nextDay, 940, 0, 100), v)).toBe("pass");
  });

  it("a cap on orders per rolling hour", () => {
    const rm = manager({ maxOrdersPerHour: 2 });
    const v = newVerdict();
    expect(rm.review(buy(10), snap(T0, 1000, 0, 100), v)).toBe("pass");
    expect(rm.review(sell(0.05), snap(T0 + 10 * 60_000, 990, 0.1, 100), v)).toBe("pass");
    expect(rm.review(buy(10), snap(T0 + 20 * 60_000, 995, 0.05, 100), v)).toBe("rate_limited");
    expect(rm.review(buy(10), snap(T0 + H, 995, 0.05, 100), v)).toBe("pass");
  });
});

describe("R11: kill switch, fail closed", () => {
  it("a loss beyond the limit stops the trader until a manual start, even after the price recovers", () => {
    const rm = manager({ killSwitchLoss: 0.1 });
    const v = newVerdict();
    rm.review(buy(0), snap(T0, 5000, 50, 100), v); // start value 10,000
    expect(rm.review(buy(100), snap(T0 + H, 5000, 50, 80.01), v)).toBe("pass"); // 9000.5: above the limit
    expect(rm.review(buy(100), snap(T0 + 2 * H, 5000, 50, 80), v)).toBe("stopped"); // 9000: −10%
    expect(v.alerts[0]).toMatch(/kill switch/);
    expect(rm.state.status).toBe("stopped");
    expect(rm.review(sell(1), snap(T0 + 3 * H, 5000, 50, 120), v)).toBe("stopped");
    expect(rm.stop("again")).toBe(false);
    expect(rm.start()).toBe(true);
    expect(rm.review(buy(100), snap(T0 + 4 * H, 5000, 50, 120), v)).toBe("pass");
  });

  it("a valuation that cannot be computed blocks entries from the first tick and alerts after M ticks", () => {
    const rm = manager({ alertAfterFailedChecks: 3 });
    const v = newVerdict();
    const alerts: string[] = [];
    for (let k = 0; k < 4; k++) {
      expect(rm.review(buy(100), snap(T0 + k * H, Number.NaN, Number.NaN, Number.NaN, false), v)).toBe("fail_closed");
      alerts.push(...v.alerts);
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/3 ticks in a row/);
    expect(rm.review(buy(100), snap(T0 + 5 * H, 1000, 0, 100), v)).toBe("pass");
    expect(rm.state.failedChecks).toBe(0);
  });

  it("a forced exit passes a stop and the locks, but not the exchange minimums", () => {
    const rm = manager({}, { amountStep: 0.01, costStep: 0, minAmount: 0.01, minNotional: 0 });
    rm.stop("operator");
    const v = newVerdict();
    const o = sell(1.234);
    expect(rm.reviewForcedExit(o, snap(T0, 0, 1.234, 100), v)).toBe("pass");
    expect(o.sellCoins).toBe(1.23);
    expect(rm.reviewForcedExit(sell(0.005), snap(T0, 0, 0.005, 100), v)).toBe("below_min_amount");
  });
});

describe("floorToStep", () => {
  it("truncates to the step and never ends above the input", () => {
    expect(floorToStep(0.3, 0.1)).toBe(0.3);
    expect(floorToStep(1000.9008, 0.01)).toBe(1000.9);
    expect(floorToStep(0.123456, 0.001)).toBe(0.123);
    expect(floorToStep(5, 0)).toBe(5);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constantFrom(1e-8, 1e-5, 0.001, 0.01, 0.1, 1), (x, step) => {
        const y = floorToStep(x, step);
        return y <= x && x - y < step * (1 + 1e-6) + 1e-9;
      }),
    );
  });
});

describe("risk limits config", () => {
  it("presets and a bad field named", () => {
    expect(resolveRiskLimits("off").maxTradeFraction).toBe(1);
    expect(resolveRiskLimits({ preset: "standard", maxTradeFraction: 0.1 }).killSwitchLoss).toBe(0.25);
    expect(() => resolveRiskLimits({ maxTradeFraction: 1.5 })).toThrow(/risk\.maxTradeFraction/);
  });
});
