/**
 * What a sweep's output folder holds for readers outside the sweep (the dashboard, a notebook): its record's
 * format and <root>/progress.json's shape. No heavy imports here: a reader need not load the training code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TrialStatus } from "./queue.js";
import type { RankMetric } from "./summary.js";

export const SWEEP_RECORD_FORMAT = "drl-trading-lab/sweep";

/** What a sweep's folder holds, if it is one ("the sweep \"example\" (4 trials, created …)"), else null. */
export function describeSweepFolder(dir: string): string | null {
  try {
    const r = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { format?: unknown; name?: unknown; trials?: readonly unknown[]; createdAt?: unknown };
    return r.format === SWEEP_RECORD_FORMAT ? `the sweep "${String(r.name)}" (${r.trials?.length ?? "?"} trials, created ${String(r.createdAt)})` : null;
  } catch {
    return null;
  }
}

export const SWEEP_PROGRESS_FORMAT = "drl-trading-lab/sweep-progress";
/** progress.json is rewritten at least this often while the submitter waits, changed or not: a reader tells a live sweep from a dead submitter by `updatedAt`. */
export const SWEEP_PROGRESS_HEARTBEAT_MS = 5_000;

/** One trial in progress.json. `value`: its out-of-sample rank metric (mean over its runs) once completed, else null. */
export interface SweepProgressTrial {
  readonly id: string;
  readonly index: number;
  readonly state: TrialStatus["state"];
  readonly worker: string | null;
  readonly value: number | null;
}

/** <root>/progress.json: the whole sweep's progress for readers without Redis (a dashboard, a notebook, `cat`). */
export interface SweepProgressFile {
  readonly format: typeof SWEEP_PROGRESS_FORMAT;
  readonly name: string;
  readonly updatedAt: string;
  /** True once every trial is completed or failed (the table and report are being written). */
  readonly finished: boolean;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly waiting: number;
  readonly active: readonly { readonly id: string; readonly worker: string | null; readonly run: number | null; readonly runs: number | null; readonly update: number | null; readonly updates: number | null }[];
  /** Seconds since this submitter started waiting. */
  readonly seconds: number;
  /** The metric trials are ranked by (the sweep file's rank.metric), higher is better. */
  readonly rankMetric: RankMetric;
  /** Every trial, in the sweep's order. */
  readonly trials: readonly SweepProgressTrial[];
  /** The completed trial with the highest `value` so far (ties: the lower index), or null. */
  readonly best: { readonly id: string; readonly index: number; readonly value: number } | null;
}

