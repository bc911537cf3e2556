/**
 * A sweep file: what to train (a base config), what to vary (a grid, seeded random draws, or both), the
 * seeds, the date windows (one train/test split, or walk-forward folds) and the budget of every training run.
 * Parsed once at the edge with errors naming the field (in the file, and for every trial's resolved config);
 * expanded into trials whose ids are hashes of their content, so that a resubmitted sweep finds its finished
 * trials again (docs/sweeps.md).
 *
 * A trial is one point of the varied fields: it trains and backtests one run per seed and fold; its summary
 * (seed intervals) and its out-of-sample returns (for the deflated Sharpe ratio) are over those runs.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AgentError, resolveAgentConfig, resolveTrainConfig } from "../../agent/index.js";
import { readCandlesCsv } from "../../data/csv.js";
import { readEmbeddedMarket } from "../../data/embedded.js";
import { walkForwardSplits, WalkForwardSchema } from "../../data/splits.js";
import type { Candles } from "../../data/candles.js";
import { EnvError, resolveEnvConfig } from "../../env/index.js";
import { loadPortfolioMarket, resolvePortfolioConfig } from "../../portfolio/index.js";
import { Rng } from "../../util/rng.js";
import { resolvePortfolioTrainConfig } from "../portfolio-train.js";

/** Version of the trial format: part of every trial id (a new format never reuses an old result). */
export const TRIAL_FORMAT = 1;

/** A sweep file (or a sweep folder) that cannot be used, naming the file and the field. */
export class SweepSpecError extends Error {
  override readonly name = "SweepSpecError";
  readonly code = "invalid_sweep";
  constructor(
    /** The file (or "sweep") and the field, e.g. `sweeps/example.json: grid["agent.ppo.learningRate"]`. */
    readonly where: string,
    /** What is wrong, without the place. */
    readonly detail: string,
  ) {
    super(`invalid_sweep at ${where}: ${detail}`);
  }
}

const fieldPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "expected a dot path such as agent.ppo.learningRate");
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected an ISO-8601 date such as 2022-07-01");

const distributionSchema = z.union([
  z.object({ /** Uniform in [lo, hi]. */ uniform: z.tuple([z.number(), z.number()]) }).strict(),
  z.object({ /** Log-uniform in [lo, hi] (both > 0): learning rates, coefficients. */ logUniform: z.tuple([z.number().gt(0), z.number().gt(0)]) }).strict(),
  z.object({ /** A uniform integer in [lo, hi]. */ int: z.tuple([z.number().int(), z.number().int()]) }).strict(),
  z.object({ /** One of the values, uniformly. */ choice: z.array(z.unknown()).min(1) }).strict(),
]);
export type Distribution = z.output<typeof distributionSchema>;

export const RANK_METRICS = ["sharpe", "totalReturn", "excessReturn", "sortino", "calmar"] as const;

export const sweepFileSchema = z
  .object({
    /** Name of the sweep: the default output folder checkpoints/sweeps/<name>. */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, "expected letters, digits, '.', '_' or '-'"),
    /** "single": the one-asset agent (npm run train's config); "portfolio": the multi-asset agent (npm run portfolio's). */
    kind: z.enum(["single", "portfolio"]).default("single"),
    /** The training config every trial starts from (without seed, steps, out, progress: the sweep sets those). */
    base: z.record(z.string(), z.unknown()).default({}),
    /** Field → values: every combination is a trial. */
    grid: z.record(fieldPath, z.array(z.unknown()).min(1, "expected at least one value")).default({}),
    /** Seeded random draws: `trials` points (per grid point when there is a grid). */
    random: z
      .object({
        trials: z.number().int().min(1).max(10_000),
        /** Seed of the draws: the same seed draws the same trials. */
        seed: z.number().int().min(0).default(0),
        fields: z.record(fieldPath, distributionSchema),
      })
      .strict()
      .optional(),
    /** Training seeds of every trial: a list, or { count, first }. */
    seeds: z
      .union([z.array(z.number().int().min(0)).min(1), z.object({ count: z.number().int().min(1).max(1000), first: z.number().int().min(0).default(0) }).strict()])
      .default([0]),
    /** One train/test split, or walk-forward folds cut from the data (each trial runs every fold). */
    windows: z.union([
      z.object({ split: z.object({ trainStart: isoDate.nullable().default(null), trainEnd: isoDate, testEnd: isoDate.nullable().default(null) }).strict() }).strict(),
      z
        .object({
          walkForward: WalkForwardSchema.extend({
            /** Keep only the last N folds (the most recent). */
            maxFolds: z.number().int().min(1).optional(),
          }),
        })
        .strict(),
    ]),
    /** Budget of every training run (one per seed and fold). */
    budget: z
      .object({
        /** Env steps per training run. */
        steps: z.number().int().min(1),
        /** Wall-clock cap per run (null: none; a capped run is not reproducible). */
        maxSeconds: z.number().gt(0).nullable().default(null),
      })
      .strict(),
    /** Out-of-sample metric (mean over a trial's runs) that ranks the trials. */
    rank: z.object({ metric: z.enum(RANK_METRICS).default("sharpe") }).strict().prefault({}),
  })
  .strict();

export type SweepFileInput = z.input<typeof sweepFileSchema>;
export type SweepFile = z.output<typeof sweepFileSchema>;
export type TrialKind = SweepFile["kind"];

/** One train/test window of every run. */
export interface FoldSpec {
  readonly index: number;
  /** ISO; null: the data's first bar. */
  readonly trainStart: string | null;
  readonly trainEnd: string;
  /** ISO; null: the data's end. */
  readonly testEnd: string | null;
}

export interface TrialSpec {
  /** "t-" + 16 hex digits of the SHA-256 of the trial's content (format, kind, config, data, seeds, folds, budget). */
  readonly id: string;
  /** Position in the sweep (grid order, then random draws). */
  readonly index: number;
  readonly kind: TrialKind;
  /** The varied fields' values (path → value). */
  readonly varied: Readonly<Record<string, unknown>>;
  /** The training config: base with the varied values set (no seed/steps/out/progress). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  readonly folds: readonly FoldSpec[];
  readonly budget: { readonly steps: number; readonly maxSeconds: number | null };
  /** SHA-256 of the data the trial trains on (trialDataSha256): part of its id, checked again by the worker. */
  readonly dataSha256: string;
}

export interface ExpandedSweep {
  readonly file: SweepFile;
  /** SHA-256 of the canonical parsed file: the sweep's identity (the output folder's record). */
  readonly hash: string;
  readonly trials: readonly TrialSpec[];
}

/** JSON with object keys sorted at every level: the same content always hashes the same. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x);
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** A zod path as a reader finds it in the file: grid["agent.ppo.lr"][0], windows.split.trainEnd. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else {
      const s = String(p);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (out === "" ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out || "(root)";
}

/** Reads a .json, .yaml or .yml sweep file; throws SweepSpecError naming the file and the field. */
export function readSweepFile(path: string): SweepFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SweepSpecError(path, `cannot read the file (${err instanceof Error ? err.message : String(err)})`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new SweepSpecError(path, `not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseSweepFile(raw, path);
}

const SET_BY_SWEEP = ["seed", "steps", "episodes", "out", "progress", "resume", "trainStart", "trainEnd", "maxSeconds", "force", "checkpointEvery"] as const;

export function parseSweepFile(raw: unknown, where = "sweep"): SweepFile {
  const parsed = sweepFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // A bad record key (a field path) carries its reason one level down.
    const inner = issue.code === "invalid_key" ? issue.issues[0]?.message : undefined;
    throw new SweepSpecError(`${where}: ${formatPath(issue.path)}`, inner ?? issue.message);
  }
  const f = parsed.data;
  for (const k of SET_BY_SWEEP) {
    if (k in f.base) throw new SweepSpecError(`${where}: base.${k}`, `set by the sweep (seeds, windows, budget), not by the base config`);
  }
  const fields = [...Object.keys(f.grid), ...Object.keys(f.random?.fields ?? {})];
  for (const path of fields) {
    const head = path.split(".")[0]!;
    if ((SET_BY_SWEEP as readonly string[]).includes(head)) throw new SweepSpecError(`${where}: ${JSON.stringify(path)}`, `set by the sweep (seeds, windows, budget), it cannot be varied`);
  }
  const twice = Object.keys(f.grid).find((p) => f.random?.fields[p] !== undefined);
  if (twice !== undefined) throw new SweepSpecError(`${where}: random.fields[${JSON.stringify(twice)}]`, "varied by the grid already");
  for (const [path, d] of Object.entries(f.random?.fields ?? {})) {
    const range = "uniform" in d ? d.uniform : "logUniform" in d ? d.logUniform : "int" in d ? d.int : null;
    if (range !== null && !(range[0] <= range[1])) throw new SweepSpecError(`${where}: random.fields[${JSON.stringify(path)}]`, `expected lo ≤ hi, got [${range[0]}, ${range[1]}]`);
  }
  return f;
}

/** The config with `value` at the dot path (a copy; intermediate objects are created). */
export function setPath(base: Readonly<Record<string, unknown>>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split(".");
  const root: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  let node = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) {
      node[k] = structuredClone(value);
      return;
    }
    const next = node[k];
    if (next === undefined) node[k] = {};
    else if (next === null || typeof next !== "object" || Array.isArray(next)) {
      throw new SweepSpecError(path, `${keys.slice(0, i + 1).join(".")} is ${JSON.stringify(next)} in the base config, not an object`);
    }
    node = node[k] as Record<string, unknown>;
  });
  return root;
}

function draw(d: Distribution, rng: Rng): unknown {
  if ("uniform" in d) return d.uniform[0] + (d.uniform[1] - d.uniform[0]) * rng.uniform();
  if ("logUniform" in d) {
    const [lo, hi] = d.logUniform;
    return Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * rng.uniform());
  }
  if ("int" in d) return d.int[0] + rng.int(d.int[1] - d.int[0] + 1);
  return d.choice[rng.int(d.choice.length)];
}

/** The varied points: the grid's product (in the file's order), each with `random.trials` seeded draws. */
export function variedPoints(f: SweepFile): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(f.grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  const r = f.random;
  if (r === undefined) return points;
  const rng = new Rng(r.seed);
  const names = Object.keys(r.fields).sort();
  return points.flatMap((p) =>
    Array.from({ length: r.trials }, () => {
      const q: Record<string, unknown> = { ...p };
      for (const name of names) q[name] = draw(r.fields[name]!, rng);
      return q;
    }),
  );
}

/** The data a sweep's folds are cut from (the base config's data; the embedded market by default). */
function foldCandles(f: SweepFile): Candles {
  if (f.kind === "portfolio") return loadPortfolioMarket((f.base["data"] ?? {}) as never).market.candles[0]!;
  const data = f.base["data"];
  return typeof data === "string" ? readCandlesCsv(data).candles : readEmbeddedMarket().candles;
}

export function sweepFolds(f: SweepFile, candles?: Candles): FoldSpec[] {
  const w = f.windows;
  if ("split" in w) return [{ index: 0, trainStart: w.split.trainStart, trainEnd: w.split.trainEnd, testEnd: w.split.testEnd }];
  const { maxFolds, ...options } = w.walkForward;
  const folds = walkForwardSplits(candles ?? foldCandles(f), options);
  if (folds.length === 0) throw new SweepSpecError("windows.walkForward", "the data holds no complete fold of these sizes");
  const kept = maxFolds === undefined ? folds : folds.slice(-maxFolds);
  return kept.map((fold, i) => ({ index: i, trainStart: fold.trainRange.startIso, trainEnd: fold.trainRange.endIso, testEnd: fold.testRange.endIso }));
}

/**
 * The identity of a trial's data: the SHA-256 of the candle file (or of the embedded market's), or of a
 * portfolio's aligned rows. Same path, other content (a re-download, a recalibrated embedded market): another
 * trial, so a result is never reused for data it was not computed on.
 */
export function trialDataSha256(kind: TrialKind, config: Readonly<Record<string, unknown>>): string {
  if (kind === "portfolio") return loadPortfolioMarket((config["data"] ?? {}) as never).alignedSha256;
  const data = config["data"];
  return typeof data === "string" ? readCandlesCsv(data).report.sha256 : readEmbeddedMarket().report.sha256;
}

/** Validates one trial's config the way its run will (train config, agent, env), naming the field. */
function checkTrialConfig(kind: TrialKind, config: Record<string, unknown>): void {
  const run = { ...config, seed: 0, steps: 1, out: null, progress: "none" };
  /** Runs a resolver whose fields are relative to `prefix` ("agent", "env"), re-throwing with the full path. */
  const under = (prefix: string, f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      if (err instanceof AgentError || err instanceof EnvError) throw new SweepSpecError(`${prefix}.${err.field ?? ""}`, err.message.replace(/^[a-z_]+ at [^:]+: /, "").replace(/^[a-z_]+: /, ""));
      throw err;
    }
  };
  if (kind === "single") {
    const c = resolveTrainConfig(run as never);
    under("agent", () => resolveAgentConfig({ preset: c.preset, ...c.agent }));
    under("env", () => resolveEnvConfig({ preset: c.envPreset, ...c.env } as never));
  } else {
    const c = resolvePortfolioTrainConfig(run as never);
    under("agent", () => resolveAgentConfig({ preset: c.preset, ...c.agent }));
    under("env", () => resolvePortfolioConfig(c.env));
  }
}

/** Every trial of the sweep, each validated; throws SweepSpecError naming the trial and the field. */
export function expandSweep(f: SweepFile, opts: { readonly candles?: Candles; readonly where?: string } = {}): ExpandedSweep {
  const where = opts.where ?? "sweep";
  const s = f.seeds;
  const seeds = Array.isArray(s) ? s : Array.from({ length: s.count }, (_, i) => s.first + i);
  const folds = sweepFolds(f, opts.candles);
  const budget = { steps: f.budget.steps, maxSeconds: f.budget.maxSeconds };
  // One fingerprint per distinct data spec (a grid may vary the data).
  const fingerprints = new Map<string, string>();
  const fingerprint = (config: Record<string, unknown>, trial: string): string => {
    const key = canonicalJson(config["data"] ?? null);
    let h = fingerprints.get(key);
    if (h === undefined) {
      try {
        h = trialDataSha256(f.kind, config);
      } catch (err) {
        throw new SweepSpecError(`${trial}: data`, err instanceof Error ? err.message : String(err));
      }
      fingerprints.set(key, h);
    }
    return h;
  };
  const trials = variedPoints(f).map((varied, index): TrialSpec => {
    let config: Record<string, unknown> = structuredClone(f.base) as Record<string, unknown>;
    for (const [path, value] of Object.entries(varied)) config = setPath(config, path, value);
    try {
      checkTrialConfig(f.kind, config);
    } catch (err) {
      const values = Object.entries(varied).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
      const trial = `${where}: trial ${index}${values ? ` (${values})` : ""}`;
      if (err instanceof SweepSpecError) throw new SweepSpecError(`${trial}: ${err.where}`, err.detail);
      if (err instanceof AgentError || err instanceof EnvError) throw new SweepSpecError(`${trial}: ${err.field ?? "config"}`, err.message.replace(/^[a-z_]+ at [^:]+: /, "").replace(/^[a-z_]+: /, ""));
      throw err;
    }
    const dataSha256 = fingerprint(config, `${where}: trial ${index}`);
    const id = `t-${sha256(canonicalJson({ format: TRIAL_FORMAT, kind: f.kind, config, dataSha256, seeds, folds, budget })).slice(0, 16)}`;
    return { id, index, kind: f.kind, varied, config, seeds, folds, budget, dataSha256 };
  });
  const ids = new Set<string>();
  for (const t of trials) {
    if (ids.has(t.id)) throw new SweepSpecError(`${where}: trial ${t.index}`, `the same trial as an earlier one (the varied values give identical configs)`);
    ids.add(t.id);
  }
  return { file: f, hash: sha256(canonicalJson(f)), trials };
}
