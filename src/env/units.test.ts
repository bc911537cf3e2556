import { describe, expect, it } from "vitest";
import { resolveEnvConfig } from "./presets.js";
import { coins, price, usd, valueOf, type Coins, type Usd } from "./units.js";

describe("units in the types", () => {
  it("are plain numbers at run time", () => {
    expect(valueOf(coins(2), price(30_000))).toBe(60_000);
    expect(usd(5) + usd(7)).toBe(12);
  });

  it("do not mix silently (checked by tsc: an unused @ts-expect-error fails `npm run typecheck`)", () => {
    const config = resolveEnvConfig("seed");
    const cash: Usd = config.initialCash;
    const held: Coins = config.initialCoins;
    // @ts-expect-error coins are not USD
    const wrong: Usd = held;
    // @ts-expect-error a price is not a coin amount
    const alsoWrong: Coins = price(100);
    // @ts-expect-error a bare number must be given its unit
    const bare: Usd = 3;
    expect([cash, held, wrong, alsoWrong, bare]).toEqual([10_000, 1, 1, 100, 3]);
  });
});
