/**
 * `npm run portfolio`: train the agent on the portfolio env for K seeds (seeds s₀ … s₀ + K − 1), backtest
 * every seed greedily in-sample and out of sample against the equal-weight benchmarks (held and rebalanced),
 * each asset's buy-and-hold and the perfect-foresight bound, print one table per window (mean and 95 %
 * bootstrap interval over the seeds) and write the report and the `--json` object. docs/portfolio.md.
 */
import { join } from "node:path";
import { loadPortfolioMarket, portfolioAgentPolicy, evaluatePortfolioWindow, type PortfolioWindowEvaluation } from "../portfolio/index.js";
import { collectVersions } from "../report/provenance.js";
import { portfolioSummaryText, portfolioWindowJson, writePortfolioReport, type PortfolioReportWindow } from "../report/portfolio-report.js";
import { DateRangeError } from "../data/errors.js";
import { EvalError } from "../eval/errors.js";
import { CHECKPOINT_OUTPUT } from "../agent/index.js";
import { claimReportOutput } from "../report/run-report.js";
import { stopSignalOf } from "../util/abort.js";
import { InterruptedError, OutputError } from "../util/errors.js";
import { checkOutput, unsafeOutputReason, type ClaimedOutput } from "../util/safe-output.js";
import { portfolioWindowModel, resolvePortfolioTrainConfig, trainPortfolio, type PortfolioTrainConfig, type PortfolioTrainConfigInput, type PortfolioTrainResult } from "./portfolio-train.js";

export interface PortfolioJobOptions {
  /** Training config; `seed` is the first seed; `out` is the checkpoint (K = 1) or the parent of seed-<s> (K ≥ 2). */
  readonly config: PortfolioTrainConfigInput;
  /** K independent runs (default 1). */
  readonly seeds?: number;
  /** End of the out-of-sample window [trainEnd, testEnd) (default: the data's end); no window without a trainEnd. */
  readonly testEnd?: string | null;
  /** Write reports/<runName>/report.html; null: no report. `force` replaces the project's own report there. */
  readonly report: { readonly runName: string; readonly reportsDir?: string; readonly command: string; readonly force?: boolean } | null;
  readonly resamples?: number;
  readonly log?: (line: string) => void;
  readonly trainWrite?: (text: string) => void;
  /** Stops after the seed being trained (its checkpoint marked interrupted); throws InterruptedError saying what was kept. */
  readonly signal?: AbortSignal;
}

export interface PortfolioJobWindow extends PortfolioReportWindow {
  readonly start: string | null;
  readonly end: string | null;
}

export interface PortfolioJobResult {
  readonly seeds: readonly number[];
  readonly runs: readonly PortfolioTrainResult[];
  readonly windows: readonly PortfolioJobWindow[];
  readonly summary: string;
  readonly reportPath: string | null;
  readonly json: Record<string, unknown>;
}

export async function runPortfolioJob(opts: PortfolioJobOptions): Promise<PortfolioJobResult> {
  const k = opts.seeds ?? 1;
  if (!(Number.isInteger(k) && k >= 1)) throw new EvalError("invalid_options", `expected a positive integer, got ${k}`, "--seeds");
  const log = opts.log ?? (() => {});
  const base = resolvePortfolioTrainConfig(opts.config);
  const outOf = (seed: number): string | null => (base.out === null ? null : k === 1 ? base.out : join(base.out, `seed-${seed}`));
  const seeds = Array.from({ length: k }, (_, i) => base.seed + i);
  // An out-of-sample window the user asked for is never silently dropped (train refuses the same).
  if (opts.testEnd !== undefined && opts.testEnd !== null) {
    if (base.trainEnd === null) throw new EvalError("invalid_options", "--test-end ends the out-of-sample window, which starts at --train-end: give --train-end too", "--test-end");
    if (Date.parse(opts.testEnd) <= Date.parse(base.trainEnd)) throw new DateRangeError("bad_range", "--test-end", `an end after --train-end ${base.trainEnd}`, opts.testEnd);
  }
  // Every output is checked before the first update: a refused seed folder or report must not cost a training run.
  if (k > 1 && base.out !== null) {
    const unsafe = unsafeOutputReason(base.out);
    if (unsafe !== null) throw new OutputError("unsafe_output", `refusing to write seed checkpoints under ${JSON.stringify(base.out)}: ${unsafe}; name a new folder`, "out", base.out);
  }
  for (const seed of seeds) {
    const out = outOf(seed);
    if (out !== null) checkOutput(out, { kind: CHECKPOINT_OUTPUT, force: base.force, field: "out" });
  }
  const reportClaim = opts.report === null ? null : claimReportOutput(opts.report.reportsDir ?? "reports", opts.report.runName, opts.report.force === true);
  try {
    return await trainAndEvaluate(opts, base, seeds, outOf, reportClaim, log);
  } finally {
    reportClaim?.release();
  }
}

async function trainAndEvaluate(
  opts: PortfolioJobOptions,
  base: PortfolioTrainConfig,
  seeds: readonly number[],
  outOf: (seed: number) => string | null,
  reportClaim: ClaimedOutput | null,
  log: (line: string) => void,
): Promise<PortfolioJobResult> {
  const k = seeds.length;
  const data = loadPortfolioMarket(base.data);
  for (const line of data.market.report.lines) log(line);
  const runs: PortfolioTrainResult[] = [];
  for (const seed of seeds) {
    const out = outOf(seed);
    const r = await trainPortfolio({ ...opts.config, seed, out }, { data, ...(opts.trainWrite ? { write: opts.trainWrite } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    log(`seed ${seed}: ${r.manifest.training.envSteps} steps in ${r.seconds.toFixed(1)} s${out === null ? "" : ` → ${out}`}`);
    runs.push(r);
    if (r.status === "interrupted") {
      const kept = runs.flatMap((x) => (x.dir === null ? [] : [x.dir]));
      throw new InterruptedError(stopSignalOf(opts.signal) ?? "SIGINT", `stopped during seed ${seed}${kept.length > 0 ? `; checkpoints kept: ${kept.join(", ")} (the last one marked interrupted)` : ""}; no backtest or report was written`);
    }
  }
  const day = (iso: string | null): string => (iso === null ? "…" : iso.slice(0, 10));
  const first = new Date(data.market.timestamp[0]!).toISOString();
  const last = new Date(data.market.timestamp[data.market.length - 1]!).toISOString();
  const specs: { label: string; start: string | null; end: string | null }[] = [{ label: "in-sample", start: base.trainStart, end: base.trainEnd }];
  if (base.trainEnd !== null && Date.parse(base.trainEnd) < Date.parse(opts.testEnd ?? last)) specs.push({ label: "out-of-sample", start: base.trainEnd, end: opts.testEnd ?? null });
  const windows: PortfolioJobWindow[] = specs.map((w) => {
    const t0 = performance.now();
    const env = runs[0]!.env;
    const model = portfolioWindowModel(data, env, w);
    const evaluation: PortfolioWindowEvaluation = evaluatePortfolioWindow(
      model,
      runs.map((r, i) => ({ policy: portfolioAgentPolicy(r.policy, model), seed: seeds[i]! })),
      { ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }), statsSeed: base.seed },
    );
    log(`backtest ${w.label}: ${k} run(s) + baselines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { ...w, label: `${w.label} (${day(w.start ?? first)} → ${day(w.end ?? last)})`, evaluation };
  });
  let reportPath: string | null = null;
  if (opts.report !== null) {
    reportPath = writePortfolioReport(
      {
        title: `Portfolio: ${data.market.symbols.join(" + ")}, ${runs[0]!.agent.preset} agent, ${k} seed${k > 1 ? "s" : ""}`,
        runName: opts.report.runName,
        windows,
        alignment: data.market.report,
        provenance: {
          command: opts.report.command,
          createdAt: new Date().toISOString(),
          seeds,
          data: { source: data.source, sha256: data.alignedSha256, rows: data.market.length, first, last },
          config: { train: opts.config, agent: runs[0]!.agent, env: runs[0]!.env },
          versions: collectVersions(),
          checkpoints: runs.flatMap((r) => (r.dir === null ? [] : [r.dir])),
        },
      },
      opts.report.reportsDir ?? "reports",
      reportClaim === null ? {} : { claimed: reportClaim },
    ).html;
  }
  const json = {
    seeds,
    symbols: data.market.symbols,
    data: { source: data.source, alignedSha256: data.alignedSha256, alignment: data.market.report },
    checkpoints: runs.map((r) => r.dir),
    env_steps_per_s: runs.reduce((s, r) => s + r.stepsPerSecond, 0) / runs.length,
    windows: Object.fromEntries(windows.map((w) => [w.label.split(" ")[0]!, portfolioWindowJson(w)])),
    report: reportPath,
  };
  return { seeds, runs, windows, summary: portfolioSummaryText(windows), reportPath, json };
}
