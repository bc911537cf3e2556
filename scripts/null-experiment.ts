/**
 * `npm run null-experiment -- [--markets 500] [--hours 2000] [--runs 5] [--write]`
 *
 * The null experiment of docs/evaluation.md: random-walk markets with no edge to find, stand-in agents, the
 * reports' decision rules, their false-discovery rates. `--write` puts the table into docs/evaluation.md's
 * generated block `null-experiment` (a few minutes on 2 cores at the default size).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { SYNTHETIC_MARKET_PRESETS } from "../src/data/synthetic.js";
import { NULL_ENV, runNullExperiment, type NullExperimentConfig } from "../src/eval/null-experiment.js";
import { nullExperimentMarkdown, type LabelledNullResult } from "../src/report/null-experiment-report.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { replaceGeneratedBlock } from "../src/util/generated-block.js";

const DOC = fileURLToPath(new URL("../docs/evaluation.md", import.meta.url));

const flags = z
  .object({
    /** Markets per experiment. */
    markets: z.coerce.number().int().min(10).default(500),
    /** Hours per market. */
    hours: z.coerce.number().int().min(100).default(2000),
    /** Agent runs per market. */
    runs: z.coerce.number().int().min(1).default(5),
    /** Bootstrap resamples of the Sharpe-difference test. */
    resamples: z.coerce.number().int().min(100).default(500),
    /** Write the table into docs/evaluation.md. */
    write: z.boolean().default(false),
  })
  .strict()
  .parse(
    parseArgs({
      options: { markets: { type: "string" }, hours: { type: "string" }, runs: { type: "string" }, resamples: { type: "string" }, write: { type: "boolean" } },
      strict: true,
    }).values,
  );

const base = { markets: flags.markets, hours: flags.hours, runsPerMarket: flags.runs, resamples: flags.resamples, seed: 14 } as const;
const clustered = { ...SYNTHETIC_MARKET_PRESETS.random_walk, garch: { hourlyVol: 0.0082, alpha: 0.075, beta: 0.915 } };
const experiments: { label: string; config: NullExperimentConfig }[] = [
  { label: "random timing, i.i.d. returns", config: { ...base, standIn: "random_timing" } },
  { label: "MA rules, i.i.d. returns", config: { ...base, standIn: "ma_rules" } },
  { label: "random timing, clustered volatility", config: { ...base, standIn: "random_timing", market: clustered } },
  { label: "random timing, i.i.d. returns, 0.075 % fees", config: { ...base, standIn: "random_timing", env: { ...NULL_ENV, commission: 0.00075 } } },
];

const results: LabelledNullResult[] = [];
for (const e of experiments) {
  const t0 = performance.now();
  const result = runNullExperiment(e.config);
  results.push({ label: e.label, result });
  const r = result.rates;
  console.log(
    `${e.label}: deflated IR ${r.deflatedIr.discoveries}/${r.deflatedIr.markets}, Sharpe test (agent higher) ${r.sharpeTestBetter.discoveries}, ` +
      `two-sided ${r.sharpeTestTwoSided.discoveries}, undeflated ${r.undeflatedBestIr.discoveries} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}
const table = nullExperimentMarkdown(results);
console.log(table);
if (flags.write) {
  const doc = readFileSync(DOC, "utf8");
  writeFileAtomic(DOC, replaceGeneratedBlock(doc, "null-experiment", `${table}\n\nRecipe: \`npm run null-experiment -- --markets ${flags.markets} --hours ${flags.hours} --runs ${flags.runs} --resamples ${flags.resamples} --write\` (about 9 minutes on 2 shared cores at 500 markets).`));
  console.log(`wrote the null-experiment block of ${DOC}`);
}
