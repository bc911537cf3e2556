import { describe, expect, it } from "vitest";
import { Order } from "./actions/action-scheme.js";
import { executeOrder, Fill } from "./fill.js";

function order(spendUsd: number, sellCoins: number): Order {
  const o = new Order();
  o.spendUsd = spendUsd;
  o.sellCoins = sellCoins;
  return o;
}

describe("executeOrder", () => {
  it("buys: spends the cash, pays the commission out of it, gets coins at the buy price", () => {
    const f = new Fill();
    // 1,000 USD at 200 with 0.1% commission: coins 0.999 × 1,000 / 200 = 4.995, fee 1.
    executeOrder(1_500, 2, order(1_000, 0), 200, 199, 0.001, f);
    expect(f).toMatchObject({ cash: 500, fee: 1, notional: 1_000, price: 200 });
    expect(f.coinsDelta).toBeCloseTo(4.995, 14);
    expect(f.coins).toBeCloseTo(6.995, 14);
  });

  it("sells: gives up the coins, receives the proceeds less the commission at the sell price", () => {
    const f = new Fill();
    // 3 coins at 199: gross 597, fee 0.597, cash 100 + 596.403.
    executeOrder(100, 5, order(0, 3), 200, 199, 0.001, f);
    expect(f).toMatchObject({ coins: 2, coinsDelta: -3, notional: 597, price: 199 });
    expect(f.fee).toBeCloseTo(0.597, 14);
    expect(f.cash).toBeCloseTo(696.403, 12);
  });

  it("an empty order changes nothing and pays nothing", () => {
    const f = new Fill();
    executeOrder(100, 5, order(0, 0), 200, 199, 0.001, f);
    expect(f).toMatchObject({ cash: 100, coins: 5, fee: 0, notional: 0, coinsDelta: 0 });
    expect(f.price).toBeNaN();
  });
});
