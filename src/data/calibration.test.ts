import { describe, expect, it } from "vitest";
import {
  CALIBRATION_ROWS,
  insideShare,
  leaveOneOut,
  quantile,
  readRealMarketFixture,
  realRanges,
  rowsOutside,
  yearlyCalibrationValues,
  type CalibrationValues,
} from "./calibration.js";
import { loadEmbeddedMarket } from "./embedded.js";
import { PLANTED_TRENDS_SEED, SYNTHETIC_MARKET_PRESETS, generateSyntheticMarket } from "./synthetic.js";

const fixture = readRealMarketFixture();
const ranges = realRanges(fixture.years);
const values = (v: number): CalibrationValues => Object.fromEntries(CALIBRATION_ROWS.map((r) => [r.key, v]));

describe("range arithmetic", () => {
  it("ranges, rows outside, the inside share and leave-one-out on hand-made years", () => {
    const years = [
      { year: 1, values: values(0) },
      { year: 2, values: values(1) },
      { year: 3, values: values(2) },
    ];
    const r = realRanges(years);
    expect(r["acf1"]).toEqual({ lo: 0, hi: 2 });
    expect(rowsOutside(values(1.5), r)).toHaveLength(0);
    expect(rowsOutside(values(3), r)).toHaveLength(CALIBRATION_ROWS.length);
    expect(rowsOutside({ ...values(1), acf1: -1 }, r).map((x) => x.key)).toEqual(["acf1"]);
    expect(insideShare([values(1), values(5)], r)).toBe(0.5);
    // Year 2 lies between the other two; years 1 and 3 lie outside the others' range on every row.
    expect(leaveOneOut(years).map((l) => l.outside.length)).toEqual([CALIBRATION_ROWS.length, 0, CALIBRATION_ROWS.length]);
    expect(quantile([3, 1, 2, Number.NaN], 0.5)).toBe(2);
  });
});

describe("the real BTC years' fixture", () => {
  it("holds the five full years 2018–2022 with every row", () => {
    expect(fixture.years.map((y) => y.year)).toEqual([2018, 2019, 2020, 2021, 2022]);
    expect(fixture.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const y of fixture.years) expect(y.coverage).toBeGreaterThan(0.9);
  });
});

describe("the calibration claim", () => {
  it("the embedded market's years are each outside the real range on fewer rows than the most typical real year", () => {
    const fewestRealOutside = Math.min(...leaveOneOut(fixture.years).map((l) => l.outside.length));
    for (const y of yearlyCalibrationValues(loadEmbeddedMarket())) {
      expect(rowsOutside(y.values, ranges).length, `embedded ${y.year}`).toBeLessThanOrEqual(fewestRealOutside);
    }
  });

  it("the planted market is far outside on the rules' rows: a pattern that is really there", () => {
    const planted = yearlyCalibrationValues(generateSyntheticMarket(SYNTHETIC_MARKET_PRESETS.planted_trends, PLANTED_TRENDS_SEED));
    const last = planted.at(-1)!.values;
    expect(last["maTimingIr"]!).toBeGreaterThan(ranges["maTimingIr"]!.hi + 1);
    expect(last["vr168"]!).toBeGreaterThan(ranges["vr168"]!.hi + 0.3);
  });
});
