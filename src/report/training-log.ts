/**
 * Training curves for the report: the `metrics.jsonl` a training run writes next to its checkpoint, one JSON
 * object per update. The reader keeps every numeric field; the figures pick an x axis (environment steps when
 * logged) and group the curves the log has.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Figure } from "../charts/index.js";
import { lineFigure } from "../charts/index.js";
import { clearTitle } from "./backtest-figures.js";

export interface TrainingLog {
  readonly path: string;
  /** Numeric columns, each as long as `rows`. Non-numeric values become NaN (a gap in the curve). */
  readonly columns: Readonly<Record<string, Float64Array>>;
  readonly rows: number;
  /** Lines that did not parse as a JSON object (reported, never silently dropped). */
  readonly badLines: readonly number[];
}

/** Reads a metrics JSONL file; null when there is none. */
export function readTrainingLog(path: string): TrainingLog | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, "utf8").split("\n");
  const records: Record<string, unknown>[] = [];
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === "object" && v !== null && !Array.isArray(v)) records.push(v as Record<string, unknown>);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  const keys = new Set<string>();
  for (const r of records) for (const [k, v] of Object.entries(r)) if (typeof v === "number") keys.add(k);
  const columns: Record<string, Float64Array> = {};
  for (const k of keys) columns[k] = Float64Array.from(records, (r) => (typeof r[k] === "number" ? (r[k] as number) : Number.NaN));
  return { path, columns, rows: records.length, badLines };
}

/** Preferred x columns, in order. */
const X_KEYS = ["env_steps", "envSteps", "globalStep", "global_step", "steps", "step", "update", "iteration"];

/** Curves drawn together, by the names training loops commonly log; anything else goes in "other". */
const GROUPS: ReadonlyArray<{ readonly title: string; readonly keys: readonly string[] }> = [
  { title: "episode profit against holding (USD)", keys: ["profit_mean", "episodeProfit", "meanProfit", "profit"] },
  { title: "episode total return", keys: ["total_return_mean", "episodeReturn", "episode_return", "meanEpisodeReturn", "meanReturn"] },
  { title: "losses", keys: ["policy_loss", "value_loss", "loss", "policyLoss", "valueLoss"] },
  { title: "policy entropy (nats)", keys: ["entropy"] },
  { title: "approximate KL and clip fraction", keys: ["approx_kl", "clip_fraction", "approxKl", "clipFraction"] },
  { title: "explained variance", keys: ["explained_variance", "explainedVariance"] },
];

/**
 * Trailing mean over `w` log lines, skipping gaps (NaN): updates are noisy (one episode per update for the
 * article's agent), so each curve is drawn thin as logged and bold as this mean.
 */
export function rollingMean(y: Float64Array, w: number): Float64Array {
  const out = new Float64Array(y.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= w) {
      const old = y[i - w]!;
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : Number.NaN;
  }
  return out;
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

/** Up to `maxFigures` figures of the log's curves against its step column. */
export function trainingFigures(log: TrainingLog, maxFigures = 6): Figure[] {
  const cols = log.columns;
  const xKey = X_KEYS.find((k) => k in cols);
  const x = xKey === undefined ? undefined : cols[xKey]!;
  const used = new Set<string>(xKey === undefined ? [] : [xKey]);
  const smooth = Math.max(1, Math.ceil(log.rows / 50));
  const figures: Figure[] = [];
  const add = (title: string, keys: readonly string[]) => {
    const present = keys.filter((k) => k in cols && !used.has(k) && cols[k]!.some((v) => Number.isFinite(v)));
    if (present.length === 0 || figures.length >= maxFigures) return;
    present.forEach((k) => used.add(k));
    const series = present.flatMap((k, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      // The legend says which curve is raw and which is the trailing mean.
      const raw = { name: smooth > 1 ? `${k} (each update)` : k, y: cols[k]!, color, width: smooth > 1 ? 0.6 : 1.5, ...(x === undefined ? {} : { x }) };
      if (smooth === 1) return [raw];
      return [raw, { name: `${k} (trailing mean of ${smooth})`, y: rollingMean(cols[k]!, smooth), color, width: 2.2, ...(x === undefined ? {} : { x }) }];
    });
    const fig = lineFigure(series, { title, xType: "linear", xTitle: xKey ?? "log line", yTitle: title === "other logged values" ? "value" : title, height: 320 });
    // The raw curves pale, so that the trailing means read on top of them.
    const data = fig.data.map((t, i) => (smooth > 1 && i % 2 === 0 ? { ...t, opacity: 0.35 } : t));
    figures.push(clearTitle({ data, layout: fig.layout }));
  };
  for (const g of GROUPS) add(g.title, g.keys);
  // Whatever else is numeric and not a counter or a timing, three curves per figure.
  const rest = Object.keys(cols).filter((k) => !used.has(k) && !X_KEYS.includes(k) && !/time|seconds|_s$|Ms$|wall|episodes|epochs|update|profit_m|reward_mean|length/i.test(k));
  for (let i = 0; i < rest.length && figures.length < maxFigures; i += 3) add("other logged values", rest.slice(i, i + 3));
  return figures;
}
