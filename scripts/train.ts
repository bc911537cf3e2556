/**
 * npm run train -- [--data file.csv] [--train-start YYYY-MM-DD] [--train-end YYYY-MM-DD] [--preset seed|default]
 *                  [--env-preset seed|exposure|sharpe] [--episodes N | --steps N] [--seed S] [--out checkpoints/NAME]
 *                  [--backend auto|tensorflow-gpu|tensorflow|wasm|cpu] [--engine auto|fused|tfjs] [--resume DIR]
 *                  [--checkpoint-every N] [--max-seconds S] [--agent JSON] [--env JSON] [--progress auto|bar|lines|none]
 *                  [--seeds K] [--test-start YYYY-MM-DD] [--test-end YYYY-MM-DD] [--run NAME] [--no-report] [--json]
 *
 * Trains the LSTM-PPO agent (src/agent/train.ts) and writes a checkpoint folder with metrics.jsonl beside the
 * weights. Without --data it trains on the embedded synthetic market. --agent and --env take JSON overrides,
 * e.g. --agent '{"ppo":{"numEnvs":16}}'. --seeds K trains seeds S … S+K−1 into <out>/seed-<s>. Then every run is
 * backtested greedily in-sample (and out of sample: --test-start/--test-end, or after --train-end by default),
 * a table of mean [95 % CI] over the runs is printed and reports/<run>/report.html written (src/jobs/train-job.ts).
 * With --json the last line is a JSON summary. See docs/ppo.md.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { basename } from "node:path";
import { AgentError, type TrainConfigInput } from "../src/agent/index.js";
import { runTrainJob } from "../src/jobs/train-job.js";

const jsonObject = z.string().transform((text, ctx) => {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the issue below
  }
  ctx.addIssue({ code: "custom", message: `expected a JSON object, got ${text}` });
  return z.NEVER;
});

const flagsSchema = z
  .object({
    data: z.string().optional(),
    "train-start": z.string().optional(),
    "train-end": z.string().optional(),
    preset: z.enum(["seed", "default"]).optional(),
    "env-preset": z.string().optional(),
    episodes: z.coerce.number().int().min(1).optional(),
    steps: z.coerce.number().int().min(1).optional(),
    seed: z.coerce.number().int().min(0).optional(),
    out: z.string().optional(),
    backend: z.string().optional(),
    engine: z.string().optional(),
    resume: z.string().optional(),
    "checkpoint-every": z.coerce.number().int().min(0).optional(),
    "max-seconds": z.coerce.number().gt(0).optional(),
    agent: jsonObject.optional(),
    env: jsonObject.optional(),
    progress: z.string().optional(),
    /** Independent runs K: seeds --seed … --seed + K − 1, each in <out>/seed-<s>. */
    seeds: z.coerce.number().int().min(1).max(1000).default(1),
    /** Out-of-sample window [start, end) of the backtest (start default: --train-end); names as in scripts/backtest.ts. */
    "test-start": z.string().optional(),
    "test-end": z.string().optional(),
    /** Report folder name under reports/ (default: the --out folder's name, else "train"). */
    run: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
    "no-report": z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict();

async function main(): Promise<void> {
  const stringFlags = ["data", "train-start", "train-end", "preset", "env-preset", "episodes", "steps", "seed", "out", "backend", "engine", "resume", "checkpoint-every", "max-seconds", "agent", "env", "progress", "seeds", "test-start", "test-end", "run"];
  const options: Record<string, { type: "string" | "boolean" }> = { json: { type: "boolean" }, "no-report": { type: "boolean" } };
  for (const k of stringFlags) options[k] = { type: "string" };
  const { values } = parseArgs({ options, strict: true });
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`npm run train: --${issue.path.join(".")}: ${issue.message}`);
    process.exit(2);
  }
  const f = parsed.data;
  // Only the flags given are passed: the config's defaults (and a resumed checkpoint's settings) fill the rest.
  const input: Record<string, unknown> = {};
  const put = (key: keyof TrainConfigInput, v: unknown): void => {
    if (v !== undefined) input[key] = v;
  };
  put("data", f.data);
  put("trainStart", f["train-start"]);
  put("trainEnd", f["train-end"]);
  put("preset", f.preset);
  put("envPreset", f["env-preset"]);
  put("episodes", f.episodes);
  put("steps", f.steps);
  put("seed", f.seed);
  put("out", f.out);
  put("backend", f.backend);
  put("engine", f.engine);
  put("resume", f.resume);
  put("checkpointEvery", f["checkpoint-every"]);
  put("maxSeconds", f["max-seconds"]);
  put("agent", f.agent);
  put("env", f.env);
  put("progress", f.progress);
  const outName = f.out === undefined ? "" : basename(f.out);
  const runName = f.run ?? (/^[A-Za-z0-9._-]+$/.test(outName) ? outName : "train");
  // With --json, stdout carries only the JSON line: progress and tables go to stderr.
  const say = (line: string): void => void (f.json ? process.stderr : process.stdout).write(`${line}\n`);
  const job = await runTrainJob({
    config: input as TrainConfigInput,
    seeds: f.seeds,
    ...(f["test-start"] === undefined && f["test-end"] === undefined
      ? {}
      : { test: { ...(f["test-start"] === undefined ? {} : { start: f["test-start"] }), ...(f["test-end"] === undefined ? {} : { end: f["test-end"] }) } }),
    report: f["no-report"] ? null : { runName, command: `npm run train -- ${process.argv.slice(2).join(" ")}` },
    log: say,
    ...(f.json ? { trainWrite: (text: string) => void process.stderr.write(text) } : {}),
  });
  say(`\n${job.summary}`);
  if (job.reportPath !== null) say(`\nreport: ${job.reportPath}`);
  if (f.json) console.log(JSON.stringify(job.json));
}

main().catch((err: unknown) => {
  if (err instanceof AgentError || (err instanceof Error && "code" in err)) {
    console.error(`npm run train: ${err.message}`);
    process.exit(1);
  }
  throw err;
});
