import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { train } from "../agent/index.js";
import { allocCandles } from "../data/candles.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { loadAgentPolicy } from "./agent-policy.js";
import { backtestModel, runBacktest } from "./backtest.js";
import type { LoadedPolicy } from "./loaded-policy.js";

const dir = mkdtempSync(join(tmpdir(), "agent-policy-"));
const ck = join(dir, "ck");
let loaded: LoadedPolicy;
const market = loadEmbeddedMarket();

beforeAll(async () => {
  // A few updates of the default preset: enough for a real checkpoint, not for a good policy.
  await train({ preset: "default", data: null, trainEnd: "2021-03-01", steps: 2048, seed: 3, out: ck, progress: "none" }, { write: () => {} });
  loaded = await loadAgentPolicy(ck);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadAgentPolicy", () => {
  it("backtests a checkpoint greedily (deterministic) and sampled (seeded)", () => {
    const model = backtestModel(market, loaded.env, { start: "2021-03-01", end: "2021-04-01" });
    loaded.checkCompatible(model);
    const g1 = runBacktest(model, loaded.makePolicy("greedy"));
    const g2 = runBacktest(model, loaded.makePolicy("greedy"));
    expect(Array.from(g2.action)).toEqual(Array.from(g1.action)); // the LSTM state is reset between runs
    const s1 = runBacktest(model, loaded.makePolicy("sample"), { seed: 1 });
    const s1b = runBacktest(model, loaded.makePolicy("sample"), { seed: 1 });
    const s2 = runBacktest(model, loaded.makePolicy("sample"), { seed: 2 });
    expect(Array.from(s1b.action)).toEqual(Array.from(s1.action));
    expect(Array.from(s2.action)).not.toEqual(Array.from(s1.action)); // a near-uniform policy: 743 draws differ
    expect(loaded.seed).toBe(3);
    expect(loaded.trainingLogPath).toBe(join(ck, "metrics.jsonl"));
  });

  it("refuses an env whose observation or actions differ, naming the manifest field", () => {
    const other = backtestModel(market, "exposure", { start: "2021-03-01", end: "2021-04-01" });
    expect(() => loaded.checkCompatible(other)).toThrow(/checkpoint_mismatch at .*manifest\.json:observation\.labels/);
  });

  it("refuses data with another bar length", () => {
    // Every other hour of the embedded market: 2-hour bars.
    const n = 2000;
    const c = allocCandles({ ...market.meta, timeframe: "2h" }, n);
    for (let i = 0; i < n; i++) {
      for (const k of ["timestamp", "open", "high", "low", "close", "volume"] as const) c[k][i] = market[k][2 * i]!;
    }
    const model = backtestModel(c, loaded.env);
    expect(() => loaded.checkCompatible(model)).toThrow(/manifest\.json:data\.timeframe/);
  });

  it("reports an unreadable checkpoint as such", async () => {
    await expect(loadAgentPolicy(join(dir, "missing"))).rejects.toThrow(/checkpoint_unreadable/);
  });
});
