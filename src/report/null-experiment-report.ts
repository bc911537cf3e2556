/** The null experiment's results as a Markdown table (docs/evaluation.md) and as console lines. */
import { DISCOVERY_RULES, type DiscoveryRuleKey, type NullExperimentResult } from "../eval/null-experiment.js";

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export interface LabelledNullResult {
  /** What was varied, e.g. "random timing, i.i.d. returns". */
  readonly label: string;
  readonly result: NullExperimentResult;
}

const RULE_ORDER: readonly DiscoveryRuleKey[] = ["deflatedIr", "sharpeTestBetter", "sharpeTestTwoSided", "undeflatedBestIr"];

/** One row per (experiment, rule): discoveries, rate with its Wilson 95 % interval, nominal level, noise bound. */
export function nullExperimentMarkdown(results: readonly LabelledNullResult[]): string {
  const lines = [
    "| experiment | rule | false discoveries | rate [95 % CI] | nominal | nominal + noise (99 %) | within? |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const { label, result } of results) {
    const c = result.config;
    for (const key of RULE_ORDER) {
      const r = result.rates[key];
      const within = r.rate <= r.noiseBound;
      lines.push(
        `| ${label} (${c.markets} markets × ${c.runsPerMarket} runs, ${c.hours} h) | ${DISCOVERY_RULES[key].name} | ${r.discoveries} of ${r.markets} | ${pct(r.rate)} [${pct(r.lo)}, ${pct(r.hi)}] | ${pct(r.rule.nominal)} | ${pct(r.noiseBound)} | ${within ? "yes" : "**no**"} |`,
      );
    }
  }
  return lines.join("\n");
}
