/**
 * Reproduces the article's experiment on a real CSV:
 *
 *   npx tsx scripts/reproduce-article.ts --data ../shared/data/btc_usd_1h.csv --test-end 2019-12-31 --test-end 2020-12-31
 *
 * trains each preset (--presets seed,default) with K seeds (--seeds 3) on the article's env over
 * [--train-start 2018-05-06, --train-end 2019-06-27), backtests in-sample and out of sample from the train end
 * to each --test-end, and prints one table per window next to buy-and-hold (mean [95% CI] over seeds).
 * Checkpoints go to checkpoints/<run>/<preset>/seed-<k>, reports to reports/<run>-<preset>/report.html.
 * Budget: --steps per run (default 1,000,000; the article's full budget is 5,000,000), --max-seconds cap.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { AGENT_PRESET_NAMES } from "../src/agent/index.js";
import { reproduceArticle } from "../src/jobs/reproduce-article.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";

const flagsSchema = z.object({
  /** Hourly BTC/USD candles (timestamp,open,high,low,close,volume). */
  data: z.string(),
  /** First training bar (inclusive). */
  "train-start": z.string().default("2018-05-06"),
  /** End of training, start of the out-of-sample windows. */
  "train-end": z.string().default("2019-06-27"),
  /** Ends of the out-of-sample windows (repeat the flag, or separate with commas). */
  "test-end": z.array(z.string()).default(["2019-12-31"]),
  /** Training seeds per preset: 0 … K − 1. */
  seeds: z.coerce.number().int().min(1).max(100).default(3),
  /** Agent presets, comma-separated. */
  presets: z.string().default("seed,default"),
  /** Env steps per training run. */
  steps: z.coerce.number().int().min(1).default(1_000_000),
  /** Wall-clock cap per training run, seconds. */
  "max-seconds": z.coerce.number().positive().optional(),
  /** Name of the checkpoint folder and the report prefix. */
  run: z.string().regex(/^[A-Za-z0-9._-]+$/).default("article"),
  /** Grid points of the perfect-foresight DP. */
  grid: z.coerce.number().int().min(11).default(501),
  /** Also write the tables and every metric as JSON here. */
  json: z.string().optional(),
});

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    "train-start": { type: "string" },
    "train-end": { type: "string" },
    "test-end": { type: "string", multiple: true },
    seeds: { type: "string" },
    presets: { type: "string" },
    steps: { type: "string" },
    "max-seconds": { type: "string" },
    run: { type: "string" },
    grid: { type: "string" },
    json: { type: "string" },
  },
  strict: true,
});
const parsed = flagsSchema.safeParse({ ...values, ...(values["test-end"] ? { "test-end": values["test-end"].flatMap((s) => s.split(",")) } : {}) });
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  console.error(`reproduce-article: --${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const f = parsed.data;
const presets = f.presets.split(",").map((p) => p.trim());
for (const p of presets) {
  if (!(AGENT_PRESET_NAMES as readonly string[]).includes(p)) {
    console.error(`reproduce-article: --presets: unknown preset "${p}", expected ${AGENT_PRESET_NAMES.join(" or ")}`);
    process.exit(2);
  }
}
const t0 = performance.now();
const result = await reproduceArticle({
  data: f.data,
  trainStart: f["train-start"],
  trainEnd: f["train-end"],
  testEnds: f["test-end"],
  seeds: Array.from({ length: f.seeds }, (_, k) => k),
  presets: presets as (typeof AGENT_PRESET_NAMES)[number][],
  steps: f.steps,
  maxSeconds: f["max-seconds"] ?? null,
  checkpointsDir: `checkpoints/${f.run}`,
  reportsDir: "reports",
  runName: f.run,
  gridSize: f.grid,
  command: `npx tsx scripts/reproduce-article.ts ${process.argv.slice(2).join(" ")}`,
  log: (line) => console.log(line),
});
console.log(`\n${result.tables}\n`);
for (const r of result.reports) console.log(`report: ${r}`);
console.log(`total: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (f.json !== undefined) {
  const json = {
    tables: result.tables,
    trainSeconds: result.trainSeconds,
    checkpoints: result.checkpoints,
    windows: result.windows.map((w) => ({
      label: w.window.label,
      first: new Date(w.first).toISOString(),
      last: new Date(w.last).toISOString(),
      firstClose: w.firstClose,
      lastClose: w.lastClose,
      deflation: w.deflation,
      presets: w.perPreset.map((p) => ({ preset: p.preset, runs: p.evaluation.agentMetrics, summary: p.evaluation.agentSummary })),
      baselines: Object.fromEntries((w.perPreset[0]?.evaluation.baselineMetrics ?? []).map((b) => [b.name, b.metrics])),
    })),
  };
  writeFileAtomic(f.json, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`json: ${f.json}`);
}
