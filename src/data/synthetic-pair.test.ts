import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatCandlesCsv } from "./csv.js";
import { validateCandles } from "./rules.js";
import { generateSyntheticPair } from "./synthetic-pair.js";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

describe("the embedded two-asset market", () => {
  const [btc, eth] = generateSyntheticPair();

  it("is reproducible bit for bit, and pinned (a change of the recipe or of the single-asset model shows here)", () => {
    const [b2, e2] = generateSyntheticPair();
    expect(formatCandlesCsv(b2)).toBe(formatCandlesCsv(btc));
    expect(formatCandlesCsv(e2)).toBe(formatCandlesCsv(eth));
    expect([sha(formatCandlesCsv(btc)).slice(0, 16), sha(formatCandlesCsv(eth)).slice(0, 16)]).toEqual(PINNED);
  });

  it("passes the candle rules and has the outages it names", () => {
    validateCandles(btc);
    validateCandles(eth);
    expect([btc.length, eth.length]).toEqual([17_520 - 4, 17_520 - 10]);
    expect([btc.meta.symbol, eth.meta.symbol]).toEqual(["BTC/USD", "ETH/USD"]);
  });

  it("moves like the real pair: hourly log returns correlated about 0.8, ETH about 1.25 × as volatile", () => {
    // Returns over hours both series have, by timestamp.
    const at = new Map<number, number>();
    for (let t = 1; t < eth.length; t++) if (eth.timestamp[t]! - eth.timestamp[t - 1]! === 3_600_000) at.set(eth.timestamp[t]!, Math.log(eth.close[t]! / eth.close[t - 1]!));
    const x: number[] = [];
    const y: number[] = [];
    for (let t = 1; t < btc.length; t++) {
      const e = at.get(btc.timestamp[t]!);
      if (e !== undefined && btc.timestamp[t]! - btc.timestamp[t - 1]! === 3_600_000) {
        x.push(Math.log(btc.close[t]! / btc.close[t - 1]!));
        y.push(e);
      }
    }
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const mx = mean(x);
    const my = mean(y);
    let sxy = 0, sxx = 0, syy = 0;
    x.forEach((a, i) => {
      sxy += (a - mx) * (y[i]! - my);
      sxx += (a - mx) ** 2;
      syy += (y[i]! - my) ** 2;
    });
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.72);
    expect(sxy / Math.sqrt(sxx * syy)).toBeLessThan(0.88);
    expect(Math.sqrt(syy / sxx)).toBeGreaterThan(1.1);
    expect(Math.sqrt(syy / sxx)).toBeLessThan(1.45);
  });
});

/** sha256 (first 16 hex digits) of the two series as candle CSV text. */
const PINNED = ["2f84407df448517e", "cb71cadbe26cc785"];
