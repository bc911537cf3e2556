import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnvError } from "../errors.js";
import { executeOrder, Fill } from "../fill.js";
import { HoldCode, Order, type ActionScheme } from "./action-scheme.js";
import { ContinuousExposure } from "./continuous-exposure.js";
import { ExposureLevels } from "./exposure-levels.js";
import { rebalanceOrder, type RebalanceParams } from "./rebalance.js";
import { ReferenceActions } from "./reference-actions.js";
import { SideAndSize } from "./side-and-size.js";

const rebalance: RebalanceParams = { commission: 0.001, buyFactor: 1.0005, sellFactor: 0.9995, minTradeUsd: 10 };
const SCHEMES: readonly ActionScheme[] = [
  new ReferenceActions({ fraction: 0.5, minCash: 1, minCoins: 0.0001 }),
  new ExposureLevels([0, 0.25, 0.5, 0.75, 1], rebalance),
  new ContinuousExposure(rebalance),
  new SideAndSize({ minCash: 1, minCoins: 0.0001 }),
];

// Amounts are 0 or realistic: subnormal cash (5e-324 USD) only measures float rounding, not the scheme.
const portfolio = fc.record({
  cash: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1e6, noNaN: true })),
  coins: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 100, noNaN: true })),
  price: fc.double({ min: 0.01, max: 1e5, noNaN: true }),
});
/** Fixed seeds: a property test that fails once fails every time, with the same counterexample. */
const FC = { seed: 20_240_601 };

// One shared suite, run against every action scheme.
describe.each(SCHEMES.map((s) => [s.name, s] as const))("action scheme %s", (_name, scheme) => {
  const actionArb =
    scheme.space.kind === "discrete" ? fc.integer({ min: 0, max: scheme.space.n - 1 }) : fc.double({ min: -1.5, max: 1.5, noNaN: true });

  it("declares a space that matches `discrete`", () => {
    expect(scheme.discrete).toBe(scheme.space.kind === "discrete");
  });

  it("orders only what the portfolio holds, and exactly one side when it trades", () => {
    fc.assert(
      fc.property(portfolio, actionArb, ({ cash, coins, price }, action) => {
        const o = new Order();
        const code = scheme.decide(action, cash, coins, price, o);
        expect(o.spendUsd).toBeGreaterThanOrEqual(0);
        expect(o.sellCoins).toBeGreaterThanOrEqual(0);
        expect(o.spendUsd).toBeLessThanOrEqual(cash);
        expect(o.sellCoins).toBeLessThanOrEqual(coins);
        if (code === HoldCode.TRADE) expect((o.spendUsd > 0 ? 1 : 0) + (o.sellCoins > 0 ? 1 : 0)).toBe(1);
        else expect(o.spendUsd + o.sellCoins).toBe(0);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  it("clears a previous order even when it holds", () => {
    const o = new Order();
    o.spendUsd = 123;
    o.sellCoins = 4;
    scheme.decide(scheme.space.kind === "discrete" ? 0 : 0.5, 0, 0, 100, o);
    expect([o.spendUsd, o.sellCoins]).toEqual([0, 0]);
  });

  it("rejects actions outside the space with EnvError invalid_action", () => {
    const bad = scheme.space.kind === "discrete" ? [-1, scheme.space.n, 0.5, Number.NaN] : [Number.NaN];
    for (const a of bad) {
      expect(() => scheme.decide(a, 1000, 1, 100, new Order())).toThrow(EnvError);
      try {
        scheme.decide(a, 1000, 1, 100, new Order());
      } catch (e) {
        expect((e as EnvError).code).toBe("invalid_action");
      }
    }
  });
});

describe("side and size", () => {
  const s = new SideAndSize({ minCash: 1, minCoins: 0.0001 });
  it("buys with +f of the cash, sells f of the coins for −f, holds at 0 (hand-worked)", () => {
    const o = new Order();
    expect(s.decide(0.3, 1_000, 2, 100, o)).toBe(HoldCode.TRADE);
    expect([o.spendUsd, o.sellCoins]).toEqual([300, 0]);
    expect(s.decide(-0.25, 1_000, 2, 100, o)).toBe(HoldCode.TRADE);
    expect([o.spendUsd, o.sellCoins]).toEqual([0, 0.5]);
    expect(s.decide(0, 1_000, 2, 100, o)).toBe(HoldCode.HOLD_ACTION);
    expect(s.decide(0.0005, 1_000, 2, 100, o)).toBe(HoldCode.CASH_BELOW_MINIMUM);
    expect(s.decide(-1e-5, 1_000, 2, 100, o)).toBe(HoldCode.COINS_BELOW_MINIMUM);
  });
  it("is the reference scheme at size 0.5", () => {
    const ref = new ReferenceActions({ fraction: 0.5, minCash: 1, minCoins: 0.0001 });
    for (const [a, r] of [[0.5, 1], [-0.5, 2], [0, 0]] as const) {
      const o1 = new Order();
      const o2 = new Order();
      s.decide(a, 1_234, 0.7, 50, o1);
      ref.decide(r, 1_234, 0.7, 50, o2);
      expect(o1).toEqual(o2);
    }
  });
});

describe("rebalanceOrder", () => {
  const noSlip = { commission: 0.001, buyFactor: 1, sellFactor: 1, minTradeUsd: 1 };

  it("buys to a target, fees included (hand-worked)", () => {
    // 1,000 USD, no coins, price 100, target 50%: x = 500 / (0.999 + 0.5 × 0.001) = 500 / 0.9995.
    const o = new Order();
    expect(rebalanceOrder(0.5, 1_000, 0, 100, noSlip, o)).toBe(HoldCode.TRADE);
    expect(o.spendUsd).toBeCloseTo(500 / 0.9995, 12);
    // After the fill: cash 1000 − x, coins 0.999 x / 100; coin value 0.999 x = cash exactly when x = 500/0.9995.
    expect(1_000 - o.spendUsd).toBeCloseTo(0.999 * o.spendUsd, 9);
  });

  it("sells to a target, fees included (hand-worked)", () => {
    // 10 coins at 100, no cash, target 25%: a = (1000 − 250) / (100 × (0.75 + 0.25 × 0.999)) = 750 / 99.975.
    const o = new Order();
    expect(rebalanceOrder(0.25, 0, 10, 100, noSlip, o)).toBe(HoldCode.TRADE);
    expect(o.sellCoins).toBeCloseTo(750 / 99.975, 12);
  });

  it("lands exactly on the target when the fill is at the expected price", () => {
    fc.assert(
      fc.property(
        portfolio,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        ({ cash, coins, price }, target, commission, slip) => {
          const params = { commission, buyFactor: 1 + slip, sellFactor: 1 - slip, minTradeUsd: 0 };
          const o = new Order();
          if (rebalanceOrder(target, cash, coins, price, params, o) !== HoldCode.TRADE) return;
          if (o.spendUsd === cash || o.sellCoins === coins) return; // capped: the target is out of reach
          const f = new Fill();
          executeOrder(cash, coins, o, price * params.buyFactor, price * params.sellFactor, commission, f);
          const value = f.cash + f.coins * price;
          expect(Math.abs((f.coins * price) / value - target)).toBeLessThan(1e-12);
        },
      ),
      { ...FC, numRuns: 2_000 },
    );
  });

  it("holds below the minimum trade, including at the target", () => {
    const o = new Order();
    expect(rebalanceOrder(0.5, 500, 5, 100, { ...noSlip, minTradeUsd: 10 }, o)).toBe(HoldCode.BELOW_MIN_TRADE);
    // 1,000 USD, target 0.5%: buy ≈ 5 USD ≤ 10.
    expect(rebalanceOrder(0.005, 1_000, 0, 100, { ...noSlip, minTradeUsd: 10 }, o)).toBe(HoldCode.BELOW_MIN_TRADE);
    expect(rebalanceOrder(0, 0, 0, 100, noSlip, o)).toBe(HoldCode.BELOW_MIN_TRADE);
  });

  it("continuous exposure clips its action to [0, 1]", () => {
    const s = new ContinuousExposure(noSlip);
    const hi = new Order();
    const one = new Order();
    s.decide(1.7, 1_000, 0, 100, hi);
    s.decide(1, 1_000, 0, 100, one);
    expect(hi).toEqual(one);
    const lo = new Order();
    s.decide(-0.3, 0, 3, 100, lo);
    expect(lo.sellCoins).toBe(3);
  });
});
