/**
 * The sweeps panel: what `<out>/progress.json` of each `--sweep DIR` says (src/jobs/sweep/folder.ts), read by
 * polling, never written. The sweep replaces the file atomically (temp file + rename), so a read sees a whole
 * file; a file that does not parse (a user's, a future format) keeps the last good view and says why. The view is
 * computed for a given `now`: the file is stale when its `updatedAt` is older than `staleMs` while the sweep is
 * not finished (the submitter rewrites it every SWEEP_PROGRESS_HEARTBEAT_MS, changed or not; a stopped or dead
 * submitter stops the heartbeat, while the workers may still be running its trials).
 */
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { describeSweepFolder, SWEEP_PROGRESS_FORMAT } from "../jobs/sweep/folder.js";
import { formatAge } from "./model.js";

const TRIAL_STATES = ["waiting", "active", "completed", "failed", "missing"] as const;
const count = z.number().int().min(0);

/** progress.json as the dashboard accepts it: files written before `trials`, `best` and `rankMetric` existed lack them. */
const progressSchema = z.object({
  format: z.literal(SWEEP_PROGRESS_FORMAT),
  name: z.string(),
  updatedAt: z.iso.datetime({ offset: true }),
  finished: z.boolean(),
  total: count,
  completed: count,
  failed: count,
  waiting: count,
  active: z.array(z.object({ id: z.string(), worker: z.string().nullable(), run: z.number().nullable(), runs: z.number().nullable(), update: z.number().nullable(), updates: z.number().nullable() })),
  seconds: z.number(),
  rankMetric: z.string().optional(),
  trials: z.array(z.object({ id: z.string(), index: z.number().int(), state: z.enum(TRIAL_STATES), worker: z.string().nullable(), value: z.number().nullable() })).optional(),
  best: z.object({ id: z.string(), index: z.number().int(), value: z.number() }).nullable().optional(),
});
export type ReadSweepProgress = z.output<typeof progressSchema>;

export type SweepPanelStatus = "running" | "finished" | "stale" | "waiting" | "error";

export interface SweepTrialView {
  readonly id: string;
  readonly index: number | null;
  readonly state: (typeof TRIAL_STATES)[number];
  readonly worker: string | null;
  /** Out-of-sample rank metric once completed. */
  readonly value: number | null;
  /** Share of its runs done (0..1) while active, counting the current run's updates. */
  readonly done: number | null;
  readonly best: boolean;
}

export interface SweepPanelView {
  readonly dir: string;
  readonly name: string | null;
  /** running (heartbeat fresh), finished, stale (no rewrite for staleMs), waiting (no progress.json yet), error (unreadable, no good read yet). */
  readonly status: SweepPanelStatus;
  readonly detail: string;
  readonly total: number | null;
  readonly completed: number | null;
  readonly running: number | null;
  readonly failed: number | null;
  readonly queued: number | null;
  readonly rankMetric: string | null;
  readonly best: { readonly id: string; readonly index: number; readonly value: number } | null;
  /** The file's updatedAt (ms since the epoch) and its age at `now`. */
  readonly updatedAt: number | null;
  readonly ageMs: number | null;
  readonly stale: boolean;
  readonly trials: readonly SweepTrialView[];
  /** The last read's problem, when the file did not parse (the figures are the last good read's). */
  readonly problem: string | null;
}

/** progress.json's text parsed and checked, or the reason it is refused. */
export function parseSweepProgress(text: string): { readonly ok: true; readonly value: ReadSweepProgress } | { readonly ok: false; readonly reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "progress.json is not JSON" };
  }
  const r = progressSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, reason: `progress.json: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
}

/** The panel for one sweep at `now`, from its last good read (null: none yet) and the last read's problem. */
export function sweepPanelView(dir: string, read: ReadSweepProgress | null, problem: string | null, now: number, staleMs: number): SweepPanelView {
  if (read === null) {
    const status: SweepPanelStatus = problem === null ? "waiting" : "error";
    return { dir, name: null, status, detail: problem ?? "no progress.json yet (the sweep writes it once its trials are queued)", total: null, completed: null, running: null, failed: null, queued: null, rankMetric: null, best: null, updatedAt: null, ageMs: null, stale: false, trials: [], problem };
  }
  const updatedAt = Date.parse(read.updatedAt);
  const ageMs = Math.max(0, now - updatedAt);
  const stale = !read.finished && ageMs > staleMs;
  const best = read.best ?? null;
  const activeById = new Map(read.active.map((a) => [a.id, a]));
  const doneShare = (id: string): number | null => {
    const a = activeById.get(id);
    if (a === undefined || a.run === null || a.runs === null || a.runs <= 0) return null;
    const inRun = a.update !== null && a.updates !== null && a.updates > 0 ? a.update / a.updates : 0;
    return Math.min(1, (a.run + inRun) / a.runs);
  };
  // Older files list only the active trials: those are shown, the rest are counts.
  const trials: SweepTrialView[] = read.trials !== undefined
    ? read.trials.map((t) => ({ id: t.id, index: t.index, state: t.state, worker: t.worker, value: t.value, done: t.state === "active" ? doneShare(t.id) : null, best: best !== null && best.id === t.id }))
    : read.active.map((a) => ({ id: a.id, index: null, state: "active", worker: a.worker, value: null, done: doneShare(a.id), best: false }));
  const running = read.active.length;
  const status: SweepPanelStatus = read.finished ? "finished" : stale ? "stale" : "running";
  const detail = read.finished
    ? `finished: ${read.completed} completed, ${read.failed} failed (updated ${formatAge(ageMs)} ago)`
    : stale
      ? `no update for ${formatAge(ageMs)} (bound ${formatAge(staleMs)}): the submitter stopped or died; workers may still run its trials (npm run sweep … --resume picks it up)`
      : `updated ${formatAge(ageMs)} ago`;
  return { dir, name: read.name, status, detail, total: read.total, completed: read.completed, running, failed: read.failed, queued: read.waiting, rankMetric: read.rankMetric ?? null, best, updatedAt, ageMs, stale, trials, problem };
}

/** Why `dir` cannot be a `--sweep` folder, or null: it must hold a sweep's record (sweep.json) or its progress.json. */
export function sweepDirProblem(dir: string): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return `${dir} does not exist (give the --out folder of npm run sweep)`;
  }
  if (!isDir) return `${dir} is a file, not a sweep folder (give the --out folder of npm run sweep)`;
  if (describeSweepFolder(dir) !== null) return null;
  try {
    if (parseSweepProgress(readFileSync(join(dir, "progress.json"), "utf8")).ok) return null;
  } catch {
    // no progress.json either
  }
  return `${dir} is not a sweep folder the project wrote (no sweep.json record of npm run sweep in it)`;
}

/** Polls one sweep folder's progress.json; parses only when the file changed (size, mtime, inode). */
export class SweepProgressSource {
  readonly dir: string;
  private read: ReadSweepProgress | null = null;
  private problem: string | null = null;
  private seen = "";

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Reads the file if it changed; returns true when the view may have changed. */
  poll(): boolean {
    const path = join(this.dir, "progress.json");
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const problem = code === "ENOENT" ? (this.read === null ? null : "progress.json vanished (the folder was moved or removed?)") : `progress.json: ${code ?? String(err)}`;
      const changed = problem !== this.problem;
      this.problem = problem;
      this.seen = "";
      return changed;
    }
    if (key === this.seen) return false;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      this.problem = `progress.json: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
      return true;
    }
    this.seen = key;
    const r = parseSweepProgress(text);
    if (r.ok) {
      this.read = r.value;
      this.problem = null;
    } else this.problem = r.reason;
    return true;
  }

  view(now: number, staleMs: number): SweepPanelView {
    return sweepPanelView(this.dir, this.read, this.problem, now, staleMs);
  }
}
