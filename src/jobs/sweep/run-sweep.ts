/**
 * `npm run sweep`: expand a sweep file into trials, record it in its output folder, submit the trials to a
 * TrialQueue (BullMQ in the command, in-process in tests), show the whole sweep's progress while they run,
 * then write one ranked table, one report and summary.json, and return the `--json` object. A resubmitted or
 * resumed sweep submits the same trial ids: finished trials are reused, failed and missing ones run again.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { writeHtmlPage } from "../../charts/index.js";
import { summariseRuns } from "../../eval/seeds.js";
import { collectVersions } from "../../report/provenance.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { claimOutput, type OutputKind } from "../../util/safe-output.js";
import { stopSignalOf } from "../../util/abort.js";
import { InterruptedError } from "../../util/errors.js";
import type { TrialOutcome, TrialQueue, TrialStatus } from "./queue.js";
import { sweepReportSections, sweepText } from "./report.js";
import { SweepSpecError, type ExpandedSweep } from "./spec.js";
import { describeSweepFolder, SWEEP_PROGRESS_FORMAT, SWEEP_PROGRESS_HEARTBEAT_MS, SWEEP_RECORD_FORMAT, type SweepProgressFile, type SweepProgressTrial } from "./folder.js";
import { summariseSweep, type RankMetric, type SweepSummary } from "./summary.js";

export interface SweepProgress {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly active: readonly TrialStatus[];
  readonly waiting: number;
  readonly seconds: number;
  /** Every trial's status, in the sweep's order. */
  readonly trials: readonly TrialStatus[];
}

export interface RunSweepOptions {
  readonly sweep: ExpandedSweep;
  /** Where the sweep file was read from (recorded). */
  readonly file: string;
  /** The sweep's output folder (shared by all workers): sweep.json, trials/<id>/, table.txt, report.html, summary.json. */
  readonly root: string;
  readonly queue: TrialQueue;
  /** Continue a sweep whose submitting process died: its record must be there, with the same content. */
  readonly resume?: boolean;
  /** How often the queue is polled for progress (default 250 ms). */
  readonly pollMs?: number;
  /** Progress lines (a line when something changed, at most every `progressEveryMs`). */
  readonly log?: (line: string) => void;
  readonly progressEveryMs?: number;
  /** Every poll's snapshot (dashboards, tests). */
  readonly onProgress?: (p: SweepProgress) => void;
  /** Stops waiting (the trials stay queued; `--resume` picks the sweep up again). */
  readonly signal?: AbortSignal;
  readonly resamples?: number;
  readonly command?: string;
}

export interface RunSweepResult {
  readonly summary: SweepSummary;
  readonly table: string;
  readonly tablePath: string;
  readonly reportPath: string;
  readonly summaryPath: string;
  /** Trials already completed when the sweep was submitted (reused, not run again). */
  readonly reused: number;
  readonly seconds: number;
  readonly json: Record<string, unknown>;
}


export { describeSweepFolder, SWEEP_PROGRESS_FORMAT, SWEEP_PROGRESS_HEARTBEAT_MS, SWEEP_RECORD_FORMAT, type SweepProgressFile, type SweepProgressTrial };

interface SweepRecord {
  readonly format: typeof SWEEP_RECORD_FORMAT;
  readonly name: string;
  readonly hash: string;
  readonly file: string;
  readonly createdAt: string;
  readonly trials: readonly { readonly id: string; readonly index: number; readonly varied: Readonly<Record<string, unknown>> }[];
}

/** Writes (or checks) <root>/sweep.json: the folder belongs to one sweep, whose results it keeps. */
function recordSweep(opts: RunSweepOptions): void {
  const path = join(opts.root, "sweep.json");
  const { sweep } = opts;
  if (existsSync(path)) {
    let existing: Partial<SweepRecord>;
    try {
      existing = JSON.parse(readFileSync(path, "utf8")) as Partial<SweepRecord>;
    } catch {
      throw new SweepSpecError(path, "exists but is not a sweep record; choose another output folder");
    }
    if (existing.format !== SWEEP_RECORD_FORMAT) throw new SweepSpecError(path, "exists but is not a sweep record; choose another output folder");
    if (existing.hash !== sweep.hash) {
      throw new SweepSpecError(path, `holds another sweep ("${existing.name}", from ${existing.file}); the file changed or the folder is taken: use another --out, or the original file`);
    }
    return;
  }
  if (opts.resume) throw new SweepSpecError(path, "no sweep to resume here (run it without --resume first)");
  const record: SweepRecord = {
    format: SWEEP_RECORD_FORMAT,
    name: sweep.file.name,
    hash: sweep.hash,
    file: opts.file,
    createdAt: new Date().toISOString(),
    trials: sweep.trials.map((t) => ({ id: t.id, index: t.index, varied: t.varied })),
  };
  writeFileAtomic(path, `${JSON.stringify({ ...record, sweep: sweep.file }, null, 2)}\n`);
}

function progressLine(name: string, p: SweepProgress): string {
  const running = p.active
    .map((s) => {
      const pr = s.progress;
      const pctDone = pr && pr.runs > 0 ? Math.round((100 * (pr.run + (pr.updates > 0 ? pr.update / pr.updates : 0))) / pr.runs) : 0;
      return `${s.id}${s.worker ? ` on ${s.worker}` : ""} ${pctDone}%`;
    })
    .join(", ");
  return `sweep ${name}: ${p.completed}/${p.total} done, ${p.active.length} running${running ? ` (${running})` : ""}, ${p.waiting} waiting, ${p.failed} failed, ${p.seconds.toFixed(0)} s`;
}

/** A sweep's output folder as an output (src/util/safe-output.ts): its record, its trials' files, the table and reports. */
export const SWEEP_OUTPUT: OutputKind = { name: "sweep folder", type: "folder", entries: ["sweep.json", "progress.json", "trials", "table.txt", "report.html", "summary.json"], describe: describeSweepFolder };

/**
 * progress.json's content for a snapshot. `values` holds the rank metric of the trials known to be completed
 * (null: the metric is undefined for every run, e.g. a Sharpe ratio of a flat curve); `indexOf` the trials' indices.
 */
export function sweepProgressFile(name: string, p: SweepProgress, finished: boolean, rankMetric: RankMetric, values: ReadonlyMap<string, number | null>, indexOf: ReadonlyMap<string, number>, updatedAt: Date = new Date()): SweepProgressFile {
  const trials = p.trials.map((s, k): SweepProgressTrial => ({ id: s.id, index: indexOf.get(s.id) ?? k, state: s.state, worker: s.worker, value: s.state === "completed" ? (values.get(s.id) ?? null) : null }));
  let best: SweepProgressFile["best"] = null;
  for (const t of trials) if (t.value !== null && (best === null || t.value > best.value)) best = { id: t.id, index: t.index, value: t.value };
  return {
    format: SWEEP_PROGRESS_FORMAT,
    name,
    updatedAt: updatedAt.toISOString(),
    finished,
    total: p.total,
    completed: p.completed,
    failed: p.failed,
    waiting: p.waiting,
    active: p.active.map((s) => ({ id: s.id, worker: s.worker, run: s.progress?.run ?? null, runs: s.progress?.runs ?? null, update: s.progress?.update ?? null, updates: s.progress?.updates ?? null })),
    seconds: p.seconds,
    rankMetric,
    trials,
    best,
  };
}

/** Writes <root>/progress.json atomically (temp file + rename): a reader sees the old file or the new one, never half. */
export function writeSweepProgress(root: string, file: SweepProgressFile): void {
  writeFileAtomic(join(root, "progress.json"), `${JSON.stringify(file, null, 2)}\n`);
}

/** A completed trial's out-of-sample rank metric: the mean over its runs, as the ranked table computes it. */
function trialRankValue(o: TrialOutcome | null, metric: RankMetric): number | null {
  if (o === null || !("result" in o)) return null;
  return summariseRuns(o.result.runs.map((r) => r.outOfSample.agent), { resamples: 1 }).metrics[metric].mean;
}

export async function runSweep(opts: RunSweepOptions): Promise<RunSweepResult> {
  // The folder is claimed (checked and locked) before anything is queued: never a folder the project did not
  // write as a sweep, and not while another submitter waits on it. Continuing its own sweep needs no --force;
  // recordSweep refuses another sweep's folder.
  const claim = claimOutput(opts.root, { kind: SWEEP_OUTPUT, field: "out", replaces: opts.root });
  try {
    return await submitAndWait(opts);
  } finally {
    claim.release();
  }
}

async function submitAndWait(opts: RunSweepOptions): Promise<RunSweepResult> {
  const t0 = performance.now();
  const { sweep, queue } = opts;
  const log = opts.log ?? (() => {});
  recordSweep(opts);
  const ids = sweep.trials.map((t) => t.id);
  const before = await queue.submit(sweep.trials, opts.root);
  const reused = [...before.values()].filter((s) => s === "completed").length;
  const rerun = [...before.values()].filter((s) => s === "failed").length;
  log(`sweep ${sweep.file.name}: ${ids.length} trial(s), ${reused} already done${rerun > 0 ? `, ${rerun} failed before (queued again)` : ""}; results in ${opts.root}`);

  const pollMs = opts.pollMs ?? 250;
  const every = opts.progressEveryMs ?? 2_000;
  let lastLine = "";
  let lastAt = -Infinity;
  let lastWritten = "";
  let writtenAt = -Infinity;
  const rankMetric = sweep.file.rank.metric;
  const values = new Map<string, number | null>();
  // The outcomes read while polling (a completed trial's never changes), kept for the summary at the end.
  const seenOutcomes = new Map<string, TrialOutcome>();
  const indexOf = new Map(sweep.trials.map((t) => [t.id, t.index]));
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError(stopSignalOf(opts.signal) ?? "SIGINT", `stopped waiting for sweep ${sweep.file.name}; its trials stay queued and workers keep running them (the same command with --resume added picks it up: the same --file, --redis and --out)`);
    // Raced against the signal: a queue that stopped answering (Redis gone) must not hold a stop.
    const statuses = await untilAborted(queue.status(ids), opts.signal);
    if (statuses === null) continue;
    const p: SweepProgress = {
      total: ids.length,
      completed: statuses.filter((s) => s.state === "completed").length,
      failed: statuses.filter((s) => s.state === "failed").length,
      active: statuses.filter((s) => s.state === "active"),
      waiting: statuses.filter((s) => s.state === "waiting").length,
      seconds: (performance.now() - t0) / 1000,
      trials: statuses,
    };
    // A trial's rank value is read once, when it is first seen completed (its outcome does not change).
    // Raced against the signal as status() is; an interrupted read is retried next poll (or the stop is taken).
    for (const s of statuses) {
      if (s.state !== "completed" || values.has(s.id)) continue;
      const o = await untilAborted(queue.outcome(s.id), opts.signal);
      if (opts.signal?.aborted) break;
      if (o !== null) seenOutcomes.set(s.id, o);
      values.set(s.id, trialRankValue(o, rankMetric));
    }
    if (opts.signal?.aborted) continue;
    opts.onProgress?.(p);
    const line = progressLine(sweep.file.name, p);
    const key = line.replace(/, \d+ s$/, "");
    const now = performance.now();
    const finished = p.completed + p.failed === p.total;
    // The file follows every change (at most once a second) and is rewritten every SWEEP_PROGRESS_HEARTBEAT_MS
    // regardless (its updatedAt is the submitter's heartbeat); the log line at most every `every` ms.
    if ((key !== lastWritten && (now - writtenAt >= 1_000 || finished)) || now - writtenAt >= SWEEP_PROGRESS_HEARTBEAT_MS) {
      writeSweepProgress(opts.root, sweepProgressFile(sweep.file.name, p, finished, rankMetric, values, indexOf));
      lastWritten = key;
      writtenAt = now;
    }
    if (key !== lastLine && now - lastAt >= every) {
      log(line);
      lastLine = key;
      lastAt = now;
    }
    if (finished) break;
    if (statuses.some((s) => s.state === "missing")) {
      throw new SweepSpecError(opts.root, `trial(s) ${statuses.filter((s) => s.state === "missing").map((s) => s.id).join(", ")} vanished from the queue (removed by hand?); resubmit the sweep`);
    }
    // The abort listener goes with its timer: one per poll would pile up over a long sweep (and Node warns).
    await new Promise<void>((resolve) => {
      const onAbort = (): void => (clearTimeout(timer), resolve());
      const timer = setTimeout(() => (opts.signal?.removeEventListener("abort", onAbort), resolve()), pollMs);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
  const outcomes = new Map<string, TrialOutcome>();
  for (const id of ids) {
    const o = seenOutcomes.get(id) ?? (await queue.outcome(id));
    if (o !== null) outcomes.set(id, o);
  }
  // A trial finished for another sweep folder (the same trial, submitted with another --out) is reused as it
  // is: its result is the job's, its files stay where it ran. Said, so nobody looks for them here.
  const elsewhere = [...outcomes.values()].flatMap((o) => {
    if (!("result" in o)) return [];
    const rel = relative(resolve(opts.root), resolve(o.result.dir));
    return rel.startsWith("..") || isAbsolute(rel) ? [o.result.dir] : [];
  });
  if (elsewhere.length > 0) log(`sweep ${sweep.file.name}: ${elsewhere.length} reused trial(s) keep their files in the folder they ran for (${elsewhere[0]}${elsewhere.length > 1 ? ", …" : ""})`);
  const summary = summariseSweep(sweep.trials, outcomes, { rankMetric: sweep.file.rank.metric, ...(opts.resamples === undefined ? {} : { resamples: opts.resamples }) });
  const table = sweepText(summary);
  const tablePath = join(opts.root, "table.txt");
  const reportPath = join(opts.root, "report.html");
  const summaryPath = join(opts.root, "summary.json");
  const provenance = { command: opts.command ?? "", file: opts.file, sweepHash: sweep.hash, createdAt: new Date().toISOString(), sweep: sweep.file, versions: collectVersions() };
  writeFileAtomic(tablePath, `${table}\n`);
  writeHtmlPage(reportPath, { title: `Sweep ${sweep.file.name}: ${summary.trials.length} trials ranked by out-of-sample ${summary.rankMetric}`, sections: sweepReportSections(summary, provenance) });
  const json = sweepJson(summary, { tablePath, reportPath, summaryPath, reused });
  writeFileAtomic(summaryPath, `${JSON.stringify({ ...json, provenance }, null, 2)}\n`);
  return { summary, table, tablePath, reportPath, summaryPath, reused, seconds: (performance.now() - t0) / 1000, json };
}

/** The promise's value, or null as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | null> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

/** The `--json` object: `trials` has one entry per trial (varied values, seeds, out-of-sample metrics), ranked. */
export function sweepJson(summary: SweepSummary, paths: { tablePath: string; reportPath: string; summaryPath: string; reused: number }): Record<string, unknown> {
  return {
    rankMetric: summary.rankMetric,
    trialsTried: summary.trialsTried,
    reused: paths.reused,
    trials: summary.trials.map((t) => ({
      id: t.id,
      rank: t.rank,
      varied: t.varied,
      seeds: t.seeds,
      folds: t.folds,
      runs: t.runs,
      outOfSample: Object.fromEntries(Object.entries(t.outOfSample.metrics).map(([k, m]) => [k, { mean: m.mean, lo: m.ci?.lo ?? null, hi: m.ci?.hi ?? null }])),
      inSample: { sharpe: t.inSample.metrics.sharpe.mean, totalReturn: t.inSample.metrics.totalReturn.mean },
      benchmarkOutOfSample: { totalReturn: t.benchmarkOutOfSample.metrics.totalReturn.mean, sharpe: t.benchmarkOutOfSample.metrics.sharpe.mean },
      seconds: t.seconds,
    })),
    failed: summary.failed,
    deflatedSharpe: summary.deflated,
    deflatedInformationRatio: summary.deflatedInformation,
    table: paths.tablePath,
    report: paths.reportPath,
    summary: paths.summaryPath,
  };
}
