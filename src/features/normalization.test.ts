import { describe, expect, it } from "vitest";
import { FeatureError } from "./errors.js";
import type { FeatureMatrix } from "./feature-matrix.js";
import { applyNormalization, fitNormalization, parseNormalizationStats } from "./normalization.js";

/** 5 rows × 2 columns; column a = 1, 2, 3, 100, 200 (a "test period" jump), column b constant 7. */
function matrix(names: string[] = ["a", "b"]): FeatureMatrix {
  return { names, rows: 5, cols: 2, values: Float64Array.from([1, 7, 2, 7, 3, 7, 100, 7, 200, 7]) };
}

describe("fitNormalization / applyNormalization", () => {
  it("fits on the training rows only (hand-worked mean and population std)", () => {
    // rows [0, 3): a = 1, 2, 3 → mean 2, population variance (1 + 0 + 1)/3 → std √(2/3); b constant → std 0.
    const stats = fitNormalization(matrix(), { rows: [0, 3] });
    expect(stats).toEqual({ version: 1, names: ["a", "b"], mean: [2, 7], std: [Math.sqrt(2 / 3), 0], rows: [0, 3] });
    // The test rows' jump to 100, 200 does not leak into the stats.
    const m2 = matrix();
    m2.values[6] = -1e9;
    m2.values[8] = 1e9;
    expect(fitNormalization(m2, { rows: [0, 3] })).toEqual(stats);
  });

  it("standardises every row with the fitted stats; a constant column becomes x − mean", () => {
    const stats = fitNormalization(matrix(), { rows: [0, 3] });
    const out = applyNormalization(matrix(), stats);
    const s = Math.sqrt(2 / 3);
    const expected = [-1 / s, 0, 0, 0, 1 / s, 0, 98 / s, 0, 198 / s, 0];
    expected.forEach((v, i) => expect(out.values[i]).toBeCloseTo(v, 12));
    expect(out.names).toEqual(["a", "b"]);
    // The input is untouched.
    expect(matrix().values).toEqual(Float64Array.from([1, 7, 2, 7, 3, 7, 100, 7, 200, 7]));
    // Clipping bounds the extreme test-period values.
    const clipped = applyNormalization(matrix(), stats, { clip: 10 });
    expect([clipped.values[6], clipped.values[8]]).toEqual([10, 10]);
    expect(clipped.values[0]).toBeCloseTo(-1 / s, 12);
  });

  it("survives a JSON round trip (what a checkpoint saves) and validates what it reads", () => {
    const stats = fitNormalization(matrix(), { rows: [1, 5] });
    const back = parseNormalizationStats(JSON.parse(JSON.stringify(stats)));
    expect(back).toEqual(stats);
    expect(applyNormalization(matrix(), back).values).toEqual(applyNormalization(matrix(), stats).values);
    expect(() => parseNormalizationStats({ ...stats, mean: [1] })).toThrow(expect.objectContaining({ code: "bad_stats" }));
    expect(() => parseNormalizationStats({ ...stats, std: [1, -1] })).toThrow(
      expect.objectContaining({ code: "bad_stats", field: "stats.std.1" }),
    );
    expect(() => parseNormalizationStats("nope")).toThrow(FeatureError);
  });

  it("refuses a matrix with other features or another column order", () => {
    const stats = fitNormalization(matrix(), { rows: [0, 3] });
    expect(() => applyNormalization(matrix(["b", "a"]), stats)).toThrow(
      expect.objectContaining({ name: "FeatureError", code: "names_mismatch", field: "names[0]" }),
    );
    const three: FeatureMatrix = { names: ["a", "b", "c"], rows: 1, cols: 3, values: new Float64Array(3) };
    expect(() => applyNormalization(three, stats)).toThrow(expect.objectContaining({ code: "names_mismatch", field: "names[2]" }));
  });

  it("rejects empty, reversed or out-of-range row windows and non-finite values", () => {
    for (const rows of [
      [3, 3],
      [4, 2],
      [0, 6],
      [-1, 2],
      [0.5, 2],
    ] as const) {
      expect(() => fitNormalization(matrix(), { rows })).toThrow(expect.objectContaining({ code: "bad_rows" }));
    }
    const m = matrix();
    m.values[3] = Number.NaN;
    expect(() => fitNormalization(m, { rows: [0, 3] })).toThrow(expect.objectContaining({ code: "non_finite", field: "b[1]" }));
  });
});
