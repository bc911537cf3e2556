/**
 * npm run learnability [-- --markets trend,delayed_cue,volatility] [--variants seed,default,...] [--seeds 5]
 *                        [--steps 150000] [--delays 24] [--json]
 * The learnability suite and the ablation of docs/ppo.md: agent variants trained on planted markets, tested out
 * of sample against buy-and-hold, the MA crossover and perfect foresight, K seeds; prints one Markdown table
 * (and with --json, the runs and cells as the last line).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { PLANTED_MARKET_KINDS, type PlantedMarketKind } from "../src/data/planted-markets.js";
import { ABLATION_VARIANTS, runLearnability, type LearnabilityMarket } from "../src/jobs/learnability.js";

const flagsSchema = z.object({
  markets: z.string().default(PLANTED_MARKET_KINDS.join(",")),
  variants: z.string().default(Object.keys(ABLATION_VARIANTS).join(",")),
  seeds: z.coerce.number().int().min(1).default(5),
  "first-seed": z.coerce.number().int().min(0).default(1),
  steps: z.coerce.number().int().min(1).default(150_000),
  /** Delays of the delayed-cue market (one market per delay). */
  delays: z.string().default("24"),
  json: z.boolean().default(false),
});
const { values } = parseArgs({
  options: {
    markets: { type: "string" },
    variants: { type: "string" },
    seeds: { type: "string" },
    "first-seed": { type: "string" },
    steps: { type: "string" },
    delays: { type: "string" },
    json: { type: "boolean" },
  },
  strict: true,
});
const parsed = flagsSchema.safeParse(values);
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  console.error(`learnability: --${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const f = parsed.data;
const markets: LearnabilityMarket[] = [];
for (const name of f.markets.split(",")) {
  if (!(PLANTED_MARKET_KINDS as readonly string[]).includes(name)) {
    console.error(`learnability: --markets: unknown market "${name}", expected ${PLANTED_MARKET_KINDS.join(", ")}`);
    process.exit(2);
  }
  const kind = name as PlantedMarketKind;
  if (kind === "delayed_cue") for (const d of f.delays.split(",").map(Number)) markets.push({ label: `delayed_cue(${d})`, options: { kind, delay: d } });
  else markets.push({ label: kind, options: { kind } });
}
const presets = f.variants.split(",").map((name) => {
  const v = ABLATION_VARIANTS[name];
  if (v === undefined) {
    console.error(`learnability: --variants: unknown variant "${name}", expected ${Object.keys(ABLATION_VARIANTS).join(", ")}`);
    process.exit(2);
  }
  return { label: name, train: v };
});
const seeds = Array.from({ length: f.seeds }, (_, i) => f["first-seed"] + i);
const result = await runLearnability({ markets, presets, seeds, steps: f.steps, log: (l) => console.log(l) });
console.log(`\n${result.table}\n`);
if (f.json) console.log(JSON.stringify({ runs: result.runs, cells: result.cells }));
