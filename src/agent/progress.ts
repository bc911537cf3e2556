import { createProgressSink, type ProgressMode, type ProgressTiming } from "../util/progress.js";
import type { UpdateMetrics, UpdateTiming } from "./metrics.js";

/** Where training progress goes (src/util/progress.ts): a bar on a terminal, throttled lines in logs, an in-place notebook display, or nothing. */
export type { ProgressMode };

export interface Progress {
  update(m: UpdateMetrics, t: UpdateTiming): void;
  /** A line that always shows (the run's header, notes). */
  line(text: string): void;
  done(): void;
}

function num(x: number | null, digits = 3): string {
  if (x === null) return "-";
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(digits);
}

export interface ProgressOptions {
  /** Prefix of every progress text ("seed 3 (2/5)"). */
  readonly label?: string;
  readonly timing?: ProgressTiming;
}

export function createProgress(mode: ProgressMode, write: (s: string) => void, total: number, opts: ProgressOptions = {}): Progress {
  const sink = createProgressSink(mode, write, opts.timing);
  const prefix = opts.label === undefined ? "" : `${opts.label} `;
  let profit: number | null = null;
  return {
    update: (m, t) => {
      if (m.profit_mean !== null) profit = m.profit_mean;
      const fraction = Math.min(1, m.update / total);
      if (mode === "lines") {
        sink.update(
          `${prefix}update ${m.update}/${total} steps ${m.env_steps} episodes ${m.episodes} profit ${num(m.profit_mean)} ` +
            `pg ${num(m.policy_loss)} v ${num(m.value_loss)} ent ${num(m.entropy)} kl ${num(m.approx_kl, 2)} ` +
            `clip ${num(m.clip_fraction, 2)} ev ${num(m.explained_variance, 2)} lr ${num(m.learning_rate, 2)} ${Math.round(t.avg_steps_per_s)} steps/s`,
          fraction,
        );
        return;
      }
      const width = 30;
      const filled = Math.round(fraction * width);
      const eta = t.avg_steps_per_s > 0 && m.update > 0 ? ((total - m.update) * (m.env_steps / m.update)) / t.avg_steps_per_s : 0;
      sink.update(
        `${prefix}[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${m.update}/${total} ` +
          `${Math.round(t.avg_steps_per_s)} steps/s eta ${eta.toFixed(0)}s profit ${num(profit)} ent ${num(m.entropy)} kl ${num(m.approx_kl, 2)}`,
        fraction,
      );
    },
    line: (text) => sink.line(text),
    done: () => sink.done(),
  };
}
