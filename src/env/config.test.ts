import { describe, expect, it } from "vitest";
import { EnvError } from "./errors.js";
import { ENV_PRESET_NAMES, ENV_PRESETS, resolveEnvConfig } from "./presets.js";

function errorOf(run: () => unknown): EnvError {
  try {
    run();
  } catch (e) {
    if (e instanceof EnvError) return e;
    throw e;
  }
  throw new Error("expected an EnvError");
}

describe("resolveEnvConfig", () => {
  it("resolves every preset, by name and as { preset }", () => {
    for (const name of ENV_PRESET_NAMES) {
      expect(resolveEnvConfig(name)).toEqual(resolveEnvConfig({ preset: name }));
    }
  });

  it("defaults every field to the article, plus a 10% ruin stop", () => {
    const { ruinFraction, ...rest } = resolveEnvConfig({});
    const { ruinFraction: seedRuin, ...seed } = resolveEnvConfig("seed");
    expect(rest).toEqual(seed);
    expect([ruinFraction, seedRuin]).toEqual([0.1, 0]);
  });

  it("overrides a preset field by field; a new kind or mode replaces the whole object", () => {
    const c = resolveEnvConfig({ preset: "exposure", commission: 0.001, fill: { slippageBps: 2 }, episode: { mode: "full", from: "2020-01-02" } });
    expect(c.commission).toBe(0.001);
    expect(c.fill).toEqual({ at: "next_open", slippageBps: 2 });
    expect(c.episode).toEqual({ mode: "full", from: Date.UTC(2020, 0, 2) });
    expect(c.actions).toEqual(resolveEnvConfig("exposure").actions);
    const d = resolveEnvConfig({ preset: "seed", reward: { base: { kind: "differential_sharpe" } } });
    expect(d.reward.base).toEqual({ kind: "differential_sharpe", eta: 0.01, epsilon: 1e-12, warmup: 24 });
  });

  it("does not mutate the presets", () => {
    const before = JSON.stringify(ENV_PRESETS);
    resolveEnvConfig({ preset: "seed", observation: { window: 3 } });
    expect(JSON.stringify(ENV_PRESETS)).toBe(before);
  });

  it("names the field that broke", () => {
    expect(errorOf(() => resolveEnvConfig({ commission: -1 }))).toMatchObject({ code: "invalid_config", field: "commission" });
    expect(errorOf(() => resolveEnvConfig({ episode: { mode: "random_window", length: 0 } }))).toMatchObject({ field: "episode.length" });
    expect(errorOf(() => resolveEnvConfig({ observation: { portfolio: ["cash_scaled", "nope" as "coins_scaled"] } }))).toMatchObject({
      field: "observation.portfolio.1",
    });
    expect(errorOf(() => resolveEnvConfig({ episode: { mode: "full", to: "not a date" } }))).toMatchObject({ field: "episode.to" });
    expect(errorOf(() => resolveEnvConfig({ initialCash: 0, initialCoins: 0 }))).toMatchObject({ field: "initialCash" });
    expect(errorOf(() => resolveEnvConfig("nope" as "seed"))).toMatchObject({ code: "invalid_config", field: "preset" });
    // Unknown keys are errors, not silently dropped.
    expect(errorOf(() => resolveEnvConfig({ comission: 0.1 } as object))).toMatchObject({ code: "invalid_config" });
  });
});
