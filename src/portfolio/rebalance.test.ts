import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Order } from "../env/actions/action-scheme.js";
import { rebalanceOrder } from "../env/actions/rebalance.js";
import { executeOrder, Fill } from "../env/fill.js";
import { LegCode, rebalanceToWeights, RebalanceResult, type RebalanceParams } from "./rebalance.js";

const FC = { seed: 20_250_113 };
const noSlip: RebalanceParams = { commission: 0.001, buyFactor: 1, sellFactor: 1, minTradeUsd: 0, band: 0 };
const all = (k: number) => new Uint8Array(k).fill(1);

describe("rebalanceToWeights", () => {
  it("buys two assets from cash, fees included (hand-worked)", () => {
    // 1,000 USD, prices 100 and 10, targets 50% / 25%, commission 0.1%: every leg is a buy, and
    // V' = V / (1 + 0.75 · (1/0.999 − 1)) = 999 / 0.99975; leg k spends w_k · V' / 0.999.
    const out = new RebalanceResult(2);
    const price = Float64Array.of(100, 10);
    rebalanceToWeights(noSlip, 1_000, new Float64Array(2), 0, price, price, all(2), 0, Float64Array.of(0.5, 0.25), out);
    const planned = 999 / 0.99975;
    expect(out.plannedValue).toBeCloseTo(planned, 10);
    expect(out.legNotional[0]).toBeCloseTo((0.5 * planned) / 0.999, 10);
    expect(out.legNotional[1]).toBeCloseTo((0.25 * planned) / 0.999, 10);
    expect(out.coins[0]! * 100).toBeCloseTo(0.5 * planned, 9);
    expect(out.coins[1]! * 10).toBeCloseTo(0.25 * planned, 9);
    expect(out.cash).toBeCloseTo(0.25 * planned, 9);
    expect(out.fee).toBeCloseTo(0.001 * (out.legNotional[0]! + out.legNotional[1]!), 12);
    expect(out.legsTraded).toBe(2);
  });

  it("sells one asset to buy the other (hand-worked)", () => {
    // 0 USD, 10 coins of A at 100 (V = 1,000), targets 0 / 100%: sell all A (1,000 × 0.999 = 999 USD cash),
    // then buy B with all of it: 999 × 0.999 = 998.001 USD of B.
    const out = new RebalanceResult(2);
    const price = Float64Array.of(100, 50);
    rebalanceToWeights(noSlip, 0, Float64Array.of(10, 0), 0, price, price, all(2), 0, Float64Array.of(0, 1), out);
    expect(out.coins[0]).toBe(0);
    expect(out.coins[1]! * 50).toBeCloseTo(998.001, 9);
    expect(out.cash).toBeCloseTo(0, 9);
    expect(Array.from(out.legCode)).toEqual([LegCode.TRADE, LegCode.TRADE]);
    expect(out.coinsDelta[0]).toBe(-10);
  });

  it("with one asset it is the single env's rebalanceOrder + executeOrder", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        fc.double({ min: 0, max: 0.005, noNaN: true }),
        (cash, coins, p, w, commission, slip) => {
          const params = { commission, buyFactor: 1 + slip, sellFactor: 1 - slip, minTradeUsd: 1, band: 0 };
          const out = new RebalanceResult(1);
          const price = Float64Array.of(p);
          rebalanceToWeights(params, cash, Float64Array.of(coins), 0, price, price, all(1), 0, Float64Array.of(w), out);
          const order = new Order();
          const f = new Fill();
          rebalanceOrder(w, cash, coins, p, params, order);
          // A zero target sells everything here; rebalanceOrder sells its computed amount (equal up to rounding).
          if (w === 0 && order.sellCoins > 0) order.sellCoins = coins;
          executeOrder(cash, coins, order, p * params.buyFactor, p * params.sellFactor, commission, f);
          const scale = Math.max(1, cash + coins * p);
          expect(Math.abs(out.cash - f.cash)).toBeLessThan(1e-9 * scale);
          expect(Math.abs(out.coins[0]! - f.coins) * p).toBeLessThan(1e-9 * scale);
        },
      ),
      { ...FC, numRuns: 2_000 },
    );
  });

  it("lands on the targets when every leg fills at the expected price, and never overdraws the cash", () => {
    const K = 3;
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: K, maxLength: K }),
        fc.array(fc.double({ min: 0.5, max: 1e4, noNaN: true }), { minLength: K, maxLength: K }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: K + 1, maxLength: K + 1 }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        fc.double({ min: 0, max: 0.005, noNaN: true }),
        (cash, coins, prices, raw, commission, slip) => {
          const total = raw.reduce((s, x) => s + x, 0);
          if (!(total > 0) || cash + coins.reduce((s, c, k) => s + c * prices[k]!, 0) < 1) return;
          const w = Float64Array.from(raw.slice(0, K), (x) => x / total);
          const params = { commission, buyFactor: 1 + slip, sellFactor: 1 - slip, minTradeUsd: 0, band: 0 };
          const out = new RebalanceResult(K);
          const p = Float64Array.from(prices);
          rebalanceToWeights(params, cash, Float64Array.from(coins), 0, p, p, all(K), 0, w, out);
          expect(out.cash).toBeGreaterThanOrEqual(-1e-9);
          let value = out.cash;
          for (let k = 0; k < K; k++) value += out.coins[k]! * p[k]!;
          expect(Math.abs(value - out.plannedValue)).toBeLessThan(1e-9 * Math.max(1, value));
          for (let k = 0; k < K; k++) expect(Math.abs((out.coins[k]! * p[k]!) / value - w[k]!)).toBeLessThan(1e-9);
        },
      ),
      { ...FC, numRuns: 2_000 },
    );
  });

  it("does not trade an asset without its own bar, nor a leg below the minimum", () => {
    const out = new RebalanceResult(2);
    const price = Float64Array.of(100, 10);
    rebalanceToWeights({ ...noSlip, minTradeUsd: 10 }, 1_000, Float64Array.of(0, 0), 0, price, price, Uint8Array.of(0, 1), 0, Float64Array.of(0.5, 0.005), out);
    expect(Array.from(out.legCode)).toEqual([LegCode.MISSING_BAR, LegCode.BELOW_MIN_TRADE]);
    expect([out.cash, out.coins[0], out.coins[1], out.fee]).toEqual([1_000, 0, 0, 0]);
  });

  it("holds a leg inside the band and still lands the others on their targets", () => {
    // V = 1,000: A holds 30 % (target 31 %, inside a 2 % band), B 0 % (target 40 %), cash 70 %.
    const out = new RebalanceResult(2);
    const price = Float64Array.of(100, 10);
    rebalanceToWeights({ ...noSlip, band: 0.02 }, 700, Float64Array.of(3, 0), 0, price, price, all(2), 0, Float64Array.of(0.31, 0.4), out);
    expect(Array.from(out.legCode)).toEqual([LegCode.BELOW_MIN_TRADE, LegCode.TRADE]);
    expect(out.coins[0]).toBe(3);
    // A stays at 300 USD; B is bought to 40 % of the post-trade value V' = 1,000 − 0.4 V' (1/0.999 − 1).
    const planned = 1_000 / (1 + 0.4 * (1 / 0.999 - 1));
    expect(out.coins[1]! * 10).toBeCloseTo(0.4 * planned, 9);
    expect(out.cash + out.coins[0]! * 100 + out.coins[1]! * 10).toBeCloseTo(planned, 9);
  });

  it("fills at the fill price it is given (next open, slippage) while sizing at the decision price", () => {
    const out = new RebalanceResult(1);
    const params = { commission: 0, buyFactor: 1.01, sellFactor: 0.99, minTradeUsd: 0, band: 0 };
    rebalanceToWeights(params, 1_000, Float64Array.of(0), 0, Float64Array.of(100), Float64Array.of(120), all(1), 0, Float64Array.of(1), out);
    // Sized at 100 × 1.01: spends all 1,000 USD (capped at the cash); fills at 120 × 1.01.
    expect(out.legNotional[0]).toBe(1_000);
    expect(out.coins[0]).toBeCloseTo(1_000 / (120 * 1.01), 12);
    expect(out.legPrice[0]).toBeCloseTo(121.2, 12);
  });
});
