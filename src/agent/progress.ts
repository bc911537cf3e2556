import type { UpdateMetrics, UpdateTiming } from "./metrics.js";

/** "bar": one line redrawn in place (a TTY); "lines": a line per update (logs, CI); "none": silent. */
export type ProgressMode = "bar" | "lines" | "none";

export interface Progress {
  update(m: UpdateMetrics, t: UpdateTiming): void;
  done(): void;
}

function num(x: number | null, digits = 3): string {
  if (x === null) return "-";
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(digits);
}

export function createProgress(mode: ProgressMode, write: (s: string) => void, total: number): Progress {
  if (mode === "none") return { update: () => undefined, done: () => undefined };
  if (mode === "lines") {
    return {
      update: (m, t) =>
        write(
          `update ${m.update}/${total} steps ${m.env_steps} episodes ${m.episodes} profit ${num(m.profit_mean)} ` +
            `pg ${num(m.policy_loss)} v ${num(m.value_loss)} ent ${num(m.entropy)} kl ${num(m.approx_kl, 2)} ` +
            `clip ${num(m.clip_fraction, 2)} ev ${num(m.explained_variance, 2)} lr ${num(m.learning_rate, 2)} ${Math.round(t.steps_per_s)} steps/s\n`,
        ),
      done: () => undefined,
    };
  }
  let lastDraw = 0;
  let profit: number | null = null;
  return {
    update: (m, t) => {
      if (m.profit_mean !== null) profit = m.profit_mean;
      const now = performance.now();
      // Redraw at most ~10 times a second: a terminal write per update would cost more than the update.
      if (now - lastDraw < 100 && m.update < total) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round((m.update / total) * width);
      const eta = t.avg_steps_per_s > 0 ? ((total - m.update) * (m.env_steps / m.update)) / t.avg_steps_per_s : 0;
      write(
        `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${m.update}/${total} ` +
          `${Math.round(t.avg_steps_per_s)} steps/s eta ${eta.toFixed(0)}s profit ${num(profit)} ent ${num(m.entropy)} kl ${num(m.approx_kl, 2)}   `,
      );
    },
    done: () => write("\n"),
  };
}
