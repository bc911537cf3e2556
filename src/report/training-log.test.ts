import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTrainingLog, rollingMean, trainingFigures } from "./training-log.js";

const dir = mkdtempSync(join(tmpdir(), "training-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("training log", () => {
  it("trailing mean skips gaps (hand-worked)", () => {
    // w = 2: [1], [1,2], [2,3], [3,NaN], [NaN,5] → 1, 1.5, 2.5, 3, 5
    expect(Array.from(rollingMean(Float64Array.from([1, 2, 3, Number.NaN, 5]), 2))).toEqual([1, 1.5, 2.5, 3, 5]);
    expect(Number.isNaN(rollingMean(Float64Array.from([Number.NaN]), 3)[0]!)).toBe(true);
  });

  it("reads numeric columns, reports bad lines, and groups the curves the log has", () => {
    const path = join(dir, "metrics.jsonl");
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({ update: i + 1, env_steps: (i + 1) * 500, profit_mean: i % 7 === 0 ? null : Math.sin(i), policy_loss: 0.1, value_loss: 1, entropy: 1.1 - i / 1000, approx_kl: 1e-4, clip_fraction: 0.02, explained_variance: 0.3 }),
    );
    writeFileSync(path, `${lines.slice(0, 60).join("\n")}\n{broken\n${lines.slice(60).join("\n")}\n`);
    const log = readTrainingLog(path)!;
    expect(log.rows).toBe(120);
    expect(log.badLines).toEqual([61]);
    expect(Number.isNaN(log.columns["profit_mean"]![0]!)).toBe(true); // null → a gap
    const figs = trainingFigures(log);
    const titles = figs.map((f) => (f.layout["title"] as { text: string }).text);
    expect(titles).toEqual(["episode profit against holding (USD)", "losses", "policy entropy (nats)", "approximate KL and clip fraction", "explained variance"]);
    // 120 lines → trailing mean over ⌈120 / 50⌉ = 3 lines drawn next to each raw curve; x = env_steps.
    expect(figs[0]!.data.map((t) => t.name)).toEqual(["profit_mean (each update)", "profit_mean (trailing mean of 3)"]);
    expect((figs[0]!.data[0]!["x"] as number[])[0]).toBe(500);
    expect(readTrainingLog(join(dir, "none.jsonl"))).toBeNull();
  });
});
