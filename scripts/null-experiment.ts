/**
 * `npm run null-experiment -- [--markets 500] [--hours 2000] [--runs 5] [--write]` (`--help` lists every flag)
 *
 * The null experiment of docs/evaluation.md: random-walk markets with no edge to find, stand-in agents, the
 * reports' decision rules, their false-discovery rates. `--write` puts the table into docs/evaluation.md's
 * generated block `null-experiment` (a few minutes on 2 cores at the default size).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { SYNTHETIC_MARKET_PRESETS } from "../src/data/synthetic.js";
import { NULL_ENV, runNullExperimentAsync, type NullExperimentConfig } from "../src/eval/null-experiment.js";
import { nullExperimentMarkdown, type LabelledNullResult } from "../src/report/null-experiment-report.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { replaceGeneratedBlock } from "../src/util/generated-block.js";

const DOC = fileURLToPath(new URL("../docs/evaluation.md", import.meta.url));

export const nullExperimentCommand = defineCommand({
  name: "npm run null-experiment",
  summary: "The null experiment: random-walk markets, stand-in agents, the reports' decision rules and their false-discovery rates.",
  description: "--write puts the table into docs/evaluation.md's generated block null-experiment (a few minutes on 2 cores at the default size). See docs/evaluation.md.",
  flags: {
    markets: flag.int("markets per experiment", { min: 10, default: 500 }),
    hours: flag.int("hours per market", { min: 100, default: 2000 }),
    runs: flag.int("agent runs per market", { min: 1, default: 5 }),
    resamples: flag.int("bootstrap resamples of the Sharpe-difference test", { min: 100, default: 500 }),
    write: flag.switch("write the table into docs/evaluation.md"),
  },
  examples: ["npm run null-experiment -- --markets 50 --hours 500", "npm run null-experiment -- --write"],
  interruptible: true,
  async run(flags, ctx) {
    const base = { markets: flags.markets, hours: flags.hours, runsPerMarket: flags.runs, resamples: flags.resamples, seed: 14 } as const;
    const clustered = { ...SYNTHETIC_MARKET_PRESETS.random_walk, garch: { hourlyVol: 0.0082, alpha: 0.075, beta: 0.915 } };
    const experiments: { label: string; config: NullExperimentConfig }[] = [
      { label: "random timing, i.i.d. returns", config: { ...base, standIn: "random_timing" } },
      { label: "MA rules, i.i.d. returns", config: { ...base, standIn: "ma_rules" } },
      { label: "random timing, clustered volatility", config: { ...base, standIn: "random_timing", market: clustered } },
      { label: "random timing, i.i.d. returns, 0.075 % fees", config: { ...base, standIn: "random_timing", env: { ...NULL_ENV, commission: 0.00075 } } },
    ];

    ctx.log(`null experiment: ${experiments.length} experiments × ${flags.markets} markets of ${flags.hours} h, ${flags.runs} runs each`);
    const results: LabelledNullResult[] = [];
    for (const e of experiments) {
      const t0 = performance.now();
      const result = await runNullExperimentAsync(e.config, ctx.signal);
      results.push({ label: e.label, result });
      const r = result.rates;
      ctx.log(
        `${e.label}: deflated IR ${r.deflatedIr.discoveries}/${r.deflatedIr.markets}, Sharpe test (agent higher) ${r.sharpeTestBetter.discoveries}, ` +
          `two-sided ${r.sharpeTestTwoSided.discoveries}, undeflated ${r.undeflatedBestIr.discoveries} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
    const table = nullExperimentMarkdown(results);
    ctx.log(table);
    if (flags.write) {
      const doc = readFileSync(DOC, "utf8");
      writeFileAtomic(DOC, replaceGeneratedBlock(doc, "null-experiment", `${table}\n\nRecipe: \`npm run null-experiment -- --markets ${flags.markets} --hours ${flags.hours} --runs ${flags.runs} --resamples ${flags.resamples} --write\` (about 9 minutes on 2 shared cores at 500 markets).`));
      ctx.log(`wrote the null-experiment block of ${DOC}`);
    }
  },
});

await runCommand(nullExperimentCommand);
