/**
 * The interface between a sweep and whatever runs its trials. The BullMQ adapter (src/queue/) implements it
 * over Redis for a pool of workers on any number of machines; `InProcessTrialQueue` runs the trials one after
 * the other in this process (no Redis: tests, notebooks, the benchmark's no-queue reference).
 */
import { runTrial, type TrialProgress, type TrialResult } from "./trial.js";
import type { TrialSpec } from "./spec.js";

export type TrialState = "waiting" | "active" | "completed" | "failed" | "missing";

export interface TrialStatus {
  readonly id: string;
  readonly state: TrialState;
  readonly progress: TrialProgress | null;
  /** Which worker holds (or last held) the trial, when the queue knows. */
  readonly worker: string | null;
}

export type TrialOutcome = { readonly result: TrialResult } | { readonly reason: string };

export interface TrialQueue {
  /**
   * Enqueues every trial that is not in the queue yet and re-enqueues failed ones; waiting, active and
   * completed trials are left as they are (a completed trial is reused). Returns each trial's state before.
   */
  submit(trials: readonly TrialSpec[], resultsDir: string): Promise<ReadonlyMap<string, TrialState>>;
  status(ids: readonly string[]): Promise<readonly TrialStatus[]>;
  /** The outcome of a completed or failed trial; null while it is not finished. */
  outcome(id: string): Promise<TrialOutcome | null>;
  /** Releases the queue's connections (resolves false when that could not be done cleanly, e.g. Redis gone). */
  close(): Promise<unknown>;
}

/** Runs submitted trials sequentially in this process, in submission order. */
export class InProcessTrialQueue implements TrialQueue {
  private readonly states = new Map<string, TrialState>();
  private readonly progress = new Map<string, TrialProgress>();
  private readonly outcomes = new Map<string, TrialOutcome>();
  private readonly pending: { spec: TrialSpec; resultsDir: string }[] = [];
  private running: Promise<void> | null = null;
  private closed = false;

  async submit(trials: readonly TrialSpec[], resultsDir: string): Promise<ReadonlyMap<string, TrialState>> {
    const before = new Map<string, TrialState>();
    for (const spec of trials) {
      const state = this.states.get(spec.id) ?? "missing";
      before.set(spec.id, state);
      if (state === "missing" || state === "failed") {
        this.states.set(spec.id, "waiting");
        this.outcomes.delete(spec.id);
        this.pending.push({ spec, resultsDir });
      }
    }
    this.running ??= this.drain();
    return before;
  }

  private async drain(): Promise<void> {
    // Yield first: submit() returns before the first trial starts (as a queue would).
    await new Promise((r) => setImmediate(r));
    for (let job = this.pending.shift(); job !== undefined && !this.closed; job = this.pending.shift()) {
      const { spec, resultsDir } = job;
      this.states.set(spec.id, "active");
      try {
        const result = await runTrial(spec, { resultsDir, onProgress: (p) => this.progress.set(spec.id, p), shouldStop: () => this.closed });
        this.outcomes.set(spec.id, { result });
        this.states.set(spec.id, "completed");
      } catch (err) {
        this.outcomes.set(spec.id, { reason: err instanceof Error ? err.message : String(err) });
        this.states.set(spec.id, "failed");
      }
      await new Promise((r) => setImmediate(r));
    }
    this.running = null;
  }

  async status(ids: readonly string[]): Promise<readonly TrialStatus[]> {
    return ids.map((id) => ({ id, state: this.states.get(id) ?? "missing", progress: this.progress.get(id) ?? null, worker: this.states.get(id) === undefined ? null : "in-process" }));
  }

  async outcome(id: string): Promise<TrialOutcome | null> {
    return this.outcomes.get(id) ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }
}
