/**
 * `npm run learnability`: the learnability suite and the ablation of docs/ppo.md (src/jobs/learnability.ts):
 * agent variants trained on planted markets, tested out of sample against buy-and-hold, the MA crossover and
 * perfect foresight, K seeds; prints one Markdown table (with --json, stdout holds the runs and cells as one
 * JSON line). `--help` lists every flag.
 */
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { PLANTED_MARKET_KINDS, type PlantedMarketKind } from "../src/data/planted-markets.js";
import { InterruptedError } from "../src/util/errors.js";
import { ABLATION_VARIANTS, runLearnability, type LearnabilityMarket } from "../src/jobs/learnability.js";

export const learnabilityCommand = defineCommand({
  name: "npm run learnability",
  summary: "The learnability suite: agent variants trained on planted markets, tested out of sample against the baselines, K seeds.",
  description: "See docs/ppo.md (learnability and ablation).",
  flags: {
    markets: flag.list("planted markets", {
      default: [...PLANTED_MARKET_KINDS],
      item: (m) => ((PLANTED_MARKET_KINDS as readonly string[]).includes(m) ? null : `unknown market "${m}" (expected ${PLANTED_MARKET_KINDS.join(", ")})`),
    }),
    variants: flag.list("agent variants", {
      default: Object.keys(ABLATION_VARIANTS),
      item: (v) => (ABLATION_VARIANTS[v] !== undefined ? null : `unknown variant "${v}" (expected ${Object.keys(ABLATION_VARIANTS).join(", ")})`),
    }),
    seeds: flag.int("seeds per variant and market", { min: 1, default: 5 }),
    firstSeed: flag.int("first seed", { min: 0, default: 1 }),
    steps: flag.int("env steps per training run", { min: 1, default: 150_000 }),
    delays: flag.list("delays of the delayed-cue market (one market per delay)", {
      default: ["24"],
      item: (d) => (/^\d+$/.test(d) ? null : `not a whole number of bars: "${d}"`),
    }),
  },
  json: true,
  interruptible: true,
  examples: ["npm run learnability -- --markets trend --variants seed,default --seeds 2 --steps 50000", "npm run learnability -- --json"],
  async run(f, ctx) {
    const markets: LearnabilityMarket[] = [];
    for (const name of f.markets) {
      const kind = name as PlantedMarketKind;
      if (kind === "delayed_cue") for (const d of f.delays.map(Number)) markets.push({ label: `delayed_cue(${d})`, options: { kind, delay: d } });
      else markets.push({ label: kind, options: { kind } });
    }
    const presets = f.variants.map((name) => ({ label: name, train: ABLATION_VARIANTS[name]! }));
    const seeds = Array.from({ length: f.seeds }, (_, i) => f.firstSeed + i);
    const result = await runLearnability({ markets, presets, seeds, steps: f.steps, log: ctx.log, signal: ctx.signal });
    ctx.log(`\n${result.table}\n`);
    ctx.out({ runs: result.runs, cells: result.cells, stoppedBy: result.stoppedBy });
    if (result.stoppedBy !== null) {
      throw new InterruptedError(result.stoppedBy, `stopped by ${result.stoppedBy} after ${result.runs.length} of ${markets.length * presets.length * seeds.length} runs; the table above has the finished ones`);
    }
  },
});

await runCommand(learnabilityCommand);
