import { describe, expect, it } from "vitest";
import { backtestModel, type BacktestPolicy } from "./backtest.js";
import { directionalActions } from "./baselines.js";
import { evaluateWindow } from "./evaluate.js";
import { InterruptedError } from "../util/errors.js";
import { NULL_ENV, discoveryRates, nullMarket, runNullExperiment, runNullExperimentAsync, scoreNullMarket } from "./null-experiment.js";

describe("the null experiment (random-walk markets: no edge to find)", () => {
  it("the reports' rules call an edge real no more often than their nominal level, plus sampling noise", () => {
    // What the test must prove: the decision rules of the reports (deflated information ratio of the best run ≥
    // 0.95; Sharpe-difference p < 0.05) keep their false-discovery rate on markets where nothing can be found.
    // The agents are cheap stand-ins (random long/flat timing): the statistic is under test, not the learner.
    // 150 markets: the binomial noise bound at 99 % is nominal + 2.33·√(nominal(1 − nominal)/150).
    const r = runNullExperiment({ markets: 150, hours: 1000, runsPerMarket: 4, standIn: "random_timing", resamples: 200, seed: 14 });
    for (const key of ["deflatedIr", "sharpeTestBetter", "sharpeTestTwoSided"] as const) {
      expect(r.rates[key].rate, `${r.rates[key].rule.name}: ${r.rates[key].discoveries} of 150`).toBeLessThanOrEqual(r.rates[key].noiseBound);
    }
    // The check can fail: picking the best of 4 runs and testing it against 0 without the deflation
    // (what the deflated ratio corrects) calls an edge real about 1 − 0.95⁴ ≈ 19 % of the time.
    expect(r.rates.undeflatedBestIr.rate).toBeGreaterThan(r.rates.undeflatedBestIr.noiseBound);
  });

  it("the rule has power: an agent that really knows the next hour is discovered on every market", () => {
    const perMarket = Array.from({ length: 8 }, (_, m) => {
      const model = backtestModel(nullMarket({ hours: 1000, seed: 3 }, m), NULL_ENV);
      const dir = directionalActions(model.config.actions);
      // Peeks at the next close: an edge that is really there (only a test may cheat like this).
      const oracle: BacktestPolicy = { name: "oracle", reset() {}, act: (_o, ctx) => (ctx.market.close[ctx.row + 1]! > ctx.market.close[ctx.row]! ? dir.long : dir.flat) };
      return scoreNullMarket(m, evaluateWindow(model, [{ policy: oracle, seed: 0 }], { skipPerfectForesight: true, resamples: 200 }));
    });
    const rates = discoveryRates(perMarket);
    expect(rates.deflatedIr.discoveries).toBe(8);
    expect(rates.sharpeTestBetter.discoveries).toBe(8);
  });
});

describe("runNullExperimentAsync (the command's loop: it must see a signal)", () => {
  const cfg = { markets: 12, hours: 300, runsPerMarket: 2, standIn: "random_timing", resamples: 100, seed: 3 } as const;
  it("gives the synchronous run's results exactly", async () => {
    expect(await runNullExperimentAsync(cfg)).toEqual(runNullExperiment(cfg));
  });
  it("stops at the next market after the signal aborts, with an InterruptedError saying how far it got", async () => {
    const ac = new AbortController();
    ac.abort(new InterruptedError("SIGTERM"));
    const err = await runNullExperimentAsync(cfg, ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as InterruptedError).signal).toBe("SIGTERM");
    expect((err as Error).message).toBe("stopped after 0 of 12 markets; nothing was written");
  });
});
