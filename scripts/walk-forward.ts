/**
 * Walk-forward evaluation of the agent:
 *
 *   npx tsx scripts/walk-forward.ts [--data CSV] [--train-days 180] [--test-days 30] [--anchored]
 *                                   [--preset default] [--seeds 2] [--steps 200000] [--run walk-forward]
 *
 * Trains K seeds on each fold's training window (the agent's train(), the article's env), backtests them
 * greedily on the next window against the baselines, prints one table over all folds and writes
 * reports/<run>/report.html. Without --data: the embedded market.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { AGENT_PRESET_NAMES } from "../src/agent/index.js";
import { readCandlesCsv } from "../src/data/csv.js";
import { readEmbeddedMarket } from "../src/data/embedded.js";
import { agentTrainer } from "../src/eval/agent-policy.js";
import { walkForward, walkForwardRows } from "../src/eval/walk-forward.js";
import { collectVersions } from "../src/report/provenance.js";
import { writeRunReport } from "../src/report/run-report.js";
import { walkForwardSections, walkForwardText } from "../src/report/walk-forward-report.js";

const flagsSchema = z.object({
  /** Candle CSV; default: the embedded market. */
  data: z.string().optional(),
  /** Training window, days. */
  "train-days": z.coerce.number().positive().default(180),
  /** Test window (and step), days. */
  "test-days": z.coerce.number().positive().default(30),
  /** Every training window starts at the series' start (expanding) instead of sliding. */
  anchored: z.boolean().default(false),
  /** Agent preset. */
  preset: z.enum(AGENT_PRESET_NAMES).default("default"),
  /** Seeds per fold: 0 … K − 1. */
  seeds: z.coerce.number().int().min(1).max(50).default(2),
  /** Env steps per training run. */
  steps: z.coerce.number().int().min(1).default(200_000),
  /** Report and checkpoint folder name. */
  run: z.string().regex(/^[A-Za-z0-9._-]+$/).default("walk-forward"),
});

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    "train-days": { type: "string" },
    "test-days": { type: "string" },
    anchored: { type: "boolean" },
    preset: { type: "string" },
    seeds: { type: "string" },
    steps: { type: "string" },
    run: { type: "string" },
  },
  strict: true,
});
const parsed = flagsSchema.safeParse(values);
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  console.error(`walk-forward: --${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const f = parsed.data;
const { candles, report: csv } = f.data === undefined ? readEmbeddedMarket() : readCandlesCsv(f.data, { symbol: "BTC/USD", exchange: "csv", timeframe: "1h" });
const seeds = Array.from({ length: f.seeds }, (_, k) => k);
const t0 = performance.now();
const results = await walkForward({
  candles,
  folds: { trainDays: f["train-days"], testDays: f["test-days"], anchored: f.anchored },
  trainer: agentTrainer({ data: f.data ?? null, preset: f.preset, steps: f.steps, checkpointsDir: `checkpoints/${f.run}`, log: (l) => console.log(l) }),
  seeds,
  onFold: (fold, s) => console.log(`fold ${fold.index}: test ${fold.testRange.startIso.slice(0, 10)} → ${fold.testRange.endIso.slice(0, 10)} done in ${s.toFixed(0)} s`),
});
const rows = walkForwardRows(results);
const written = writeRunReport({
  title: `Walk-forward: ${f.preset} preset, ${f["train-days"]}-day training, ${f["test-days"]}-day tests`,
  runName: f.run,
  windows: [],
  extraSections: walkForwardSections(rows),
  provenance: {
    command: `npx tsx scripts/walk-forward.ts ${process.argv.slice(2).join(" ")}`,
    createdAt: new Date().toISOString(),
    seeds,
    data: { source: csv.file, sha256: csv.sha256, rows: csv.rows, first: csv.firstIso ?? "", last: csv.lastIso ?? "" },
    config: { folds: { trainDays: f["train-days"], testDays: f["test-days"], anchored: f.anchored }, preset: f.preset, steps: f.steps },
    versions: collectVersions(),
    checkpoints: results.flatMap((r) => r.checkpoints),
  },
});
console.log(`\n${walkForwardText(rows)}\n\nreport: ${written.html}\ntotal: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
