import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { describe, expect, it } from "vitest";
import { formatCandlesCsv } from "./csv.js";
import { EMBEDDED_MARKET_PATH, loadEmbeddedMarket, readEmbeddedMarket } from "./embedded.js";
import { DEFAULT_MARKET_SEED, generateSyntheticMarket } from "./synthetic.js";

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

describe("embedded market", () => {
  it("lives at an absolute path that does not depend on the working directory", () => {
    expect(isAbsolute(EMBEDDED_MARKET_PATH)).toBe(true);
    expect(EMBEDDED_MARKET_PATH.endsWith("data/synthetic-btc-1h.csv")).toBe(true);
    expect(existsSync(EMBEDDED_MARKET_PATH)).toBe(true);
  });

  it("is exactly what the generator makes with the default config and seed (no drift from its recipe)", () => {
    const committed = readFileSync(EMBEDDED_MARKET_PATH);
    const regenerated = formatCandlesCsv(generateSyntheticMarket({}, DEFAULT_MARKET_SEED));
    // On failure: the generator or its defaults changed; run `npm run gen:market` and review docs/market.md.
    expect(sha256(regenerated)).toBe(sha256(committed));
  });

  it("is the market the docs and notebooks were computed on (pinned sha256)", () => {
    // Changing the embedded market on purpose changes every figure computed on it: when this fails, regenerate
    // docs/market.md's tables (`npm run market-calibration`), rerun the notebooks, then update the hash here.
    expect(sha256(readFileSync(EMBEDDED_MARKET_PATH))).toBe("a29029b8c346a11e4da0ebde1552f9473fbe418c5da2acc21eb33827ec52e57c");
  });

  it("loads as two years of valid hourly BTC/USD candles with the synthetic meta", () => {
    const { candles, report } = readEmbeddedMarket();
    expect(candles.length).toBe(17_520);
    expect(candles.meta).toMatchObject({ exchange: "synthetic", symbol: "BTC/USD", timeframe: "1h" });
    expect(report.firstIso).toBe("2021-01-01T00:00:00.000Z");
    expect(report.lastIso).toBe("2022-12-31T23:00:00.000Z");
    expect(report.gaps.count).toBe(0);
    expect(loadEmbeddedMarket().close).toEqual(candles.close);
  });
});
