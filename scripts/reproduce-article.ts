/**
 * `npm run reproduce`: the article's experiment on a real CSV (src/jobs/reproduce-article.ts): each preset ×
 * K seeds trained on the article's env over [--train-start, --train-end), backtested in-sample and out of
 * sample to each --test-end, one table per window next to buy-and-hold. `--help` lists every flag.
 */
import { AGENT_PRESET_NAMES, type AgentPresetName } from "../src/agent/index.js";
import { CliError, defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { reproduceArticle, type ArticleProgress, type ArticleResult } from "../src/jobs/reproduce-article.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { InterruptedError } from "../src/util/errors.js";
import { claimOutput, jsonFileOutput, type ClaimedOutput } from "../src/util/safe-output.js";
import { parseDate } from "../src/data/splits.js";

const RESULTS_FORMAT = "drl-trading-lab/reproduce-results";

export const reproduceCommand = defineCommand({
  name: "npm run reproduce",
  summary: "Reproduce the article's experiment: seed and default presets, K seeds, in-sample and out-of-sample tables next to buy-and-hold.",
  description:
    "Every window and output is checked before the first training run. Checkpoints go to checkpoints/<run>/<preset>/seed-<k>, reports " +
    "to reports/<run>-<preset>/report.html. --json FILE is written after every finished training run (status training), and at the end " +
    "(complete) or on a stop or failure (interrupted / failed): what finished is kept. SIGINT/SIGTERM: exit 130/143. See docs/evaluation.md.",
  flags: {
    data: flag.path("hourly BTC/USD candles (timestamp,open,high,low,close,volume)", { placeholder: "FILE", unset: "required" }),
    trainStart: flag.date("first training bar (inclusive)", { default: "2018-05-06" }),
    trainEnd: flag.date("end of training, start of the out-of-sample windows", { default: "2019-06-27" }),
    testEnd: flag.list("ends of the out-of-sample windows (exclusive)", { placeholder: "DATE", default: ["2019-12-31"], item: (s) => {
      try {
        parseDate(s, "--test-end");
        return null;
      } catch {
        return `not a date: "${s}"`;
      }
    } }),
    seeds: flag.int("training seeds per preset: 0 … K − 1", { min: 1, max: 100, default: 3 }),
    presets: flag.list("agent presets", { default: ["seed", "default"], item: (p) => ((AGENT_PRESET_NAMES as readonly string[]).includes(p) ? null : `unknown preset "${p}" (expected ${AGENT_PRESET_NAMES.join(" or ")})`) }),
    steps: flag.int("env steps per training run (the article's full budget is 5,000,000)", { min: 1, default: 1_000_000 }),
    maxSeconds: flag.number("wall-clock cap per training run, seconds", { gt: 0, placeholder: "S", unset: "no cap" }),
    run: flag.string("name of the checkpoint folder and the report prefix", { pattern: /^[A-Za-z0-9._-]+$/, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", default: "article" }),
    grid: flag.int("grid points of the perfect-foresight DP", { min: 11, default: 501 }),
    json: flag.path("also write the tables and every metric as JSON to FILE", { placeholder: "FILE", unset: "none" }),
    force: forceFlag(),
  },
  interruptible: true,
  check: (f) => {
    if (f.data === undefined) throw new CliError("missing_value", "the candle CSV is required (hourly BTC/USD, e.g. ../shared/data/btc_usd_1h.csv)", "--data");
  },
  examples: [
    "npm run reproduce -- --data ../shared/data/btc_usd_1h.csv --test-end 2019-12-31 --test-end 2020-12-31 --seeds 3",
    "npm run reproduce -- --data data/btc.csv --presets seed --seeds 1 --steps 100000 --run quick --json reports/quick.json",
  ],
  async run(f, ctx) {
    const t0 = performance.now();
    const json: ClaimedOutput | null = f.json === undefined ? null : claimOutput(f.json, { kind: jsonFileOutput(RESULTS_FORMAT), force: f.force, field: "json" });
    const writeJson = (status: string, body: Record<string, unknown>): void => {
      if (json !== null) writeFileAtomic(json.path, `${JSON.stringify({ format: RESULTS_FORMAT, status, createdAt: new Date().toISOString(), command: ctx.commandLine, ...body }, null, 2)}\n`);
    };
    let progress: ArticleProgress | null = null;
    try {
      const result = await reproduceArticle({
        data: f.data!,
        trainStart: f.trainStart,
        trainEnd: f.trainEnd,
        testEnds: f.testEnd,
        seeds: Array.from({ length: f.seeds }, (_, k) => k),
        presets: f.presets as AgentPresetName[],
        steps: f.steps,
        maxSeconds: f.maxSeconds ?? null,
        checkpointsDir: `checkpoints/${f.run}`,
        reportsDir: "reports",
        runName: f.run,
        gridSize: f.grid,
        command: ctx.commandLine,
        force: f.force,
        signal: ctx.signal,
        log: ctx.log,
        write: ctx.write,
        isTTY: ctx.isTTY,
        onProgress: (p) => {
          progress = p;
          if (p.status === "training") writeJson("training", { trainSeconds: p.trainSeconds, checkpoints: p.checkpoints });
        },
      });
      ctx.log(`\n${result.tables}\n`);
      for (const r of result.reports) ctx.log(`report: ${r}`);
      ctx.log(`total: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      if (json !== null) {
        writeJson("complete", resultsJson(result));
        ctx.log(`json: ${json.path}`);
      }
    } catch (err) {
      const p = progress as ArticleProgress | null;
      if (json !== null && p !== null) {
        writeJson(err instanceof InterruptedError ? "interrupted" : "failed", {
          error: err instanceof Error ? err.message : String(err),
          trainSeconds: p.trainSeconds,
          checkpoints: p.checkpoints,
        });
        ctx.warn(`json: ${json.path} keeps the finished runs`);
      }
      throw err;
    } finally {
      json?.release();
    }
  },
});

function resultsJson(result: ArticleResult): Record<string, unknown> {
  return {
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
}

await runCommand(reproduceCommand);
