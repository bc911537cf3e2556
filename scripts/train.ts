/**
 * `npm run train`: trains the LSTM-PPO agent (src/agent/train.ts) into a checkpoint folder, K seeds with
 * --seeds K, then backtests every run in- and out-of-sample and writes a report (src/jobs/train-job.ts).
 * `npm run train -- --help` lists every flag; docs/ppo.md and docs/cli.md.
 */
import { basename } from "node:path";
import { AGENT_PRESET_NAMES, type TrainConfigInput } from "../src/agent/index.js";
import { BACKEND_PREFERENCES } from "../src/agent/backend.js";
import { ENGINE_PREFERENCES } from "../src/agent/create-engine.js";
import { defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { ENV_PRESET_NAMES } from "../src/env/index.js";
import { runTrainJob } from "../src/jobs/train-job.js";

const NAME = /^[A-Za-z0-9._-]+$/;

export const trainCommand = defineCommand({
  name: "npm run train",
  summary: "Train the LSTM-PPO agent, write a checkpoint, backtest it in- and out-of-sample and write a report.",
  description:
    "Flags left out take the config's defaults (with --resume: the checkpoint's own settings). --agent and --env take JSON " +
    "overrides of the agent and env configs. --seeds K trains seeds S … S+K−1 into <out>/seed-<s>. SIGINT/SIGTERM stop at the " +
    "next update: the checkpoint is saved marked interrupted (exit 130/143); --resume continues it. See docs/ppo.md.",
  flags: {
    data: flag.path("candle CSV (timestamp,open,high,low,close,volume) to train on", { placeholder: "FILE", unset: "the embedded synthetic market" }),
    trainStart: flag.date("first training bar (inclusive, UTC)", { unset: "the data's first bar" }),
    trainEnd: flag.date("end of the training bars (exclusive, UTC)", { unset: "the data's end" }),
    preset: flag.choice(AGENT_PRESET_NAMES, "agent preset: seed (the article's agent) or default (this project's)", { unset: "default" }),
    envPreset: flag.choice(ENV_PRESET_NAMES, "env preset (seed = the article's env)", { unset: "seed" }),
    episodes: flag.int("training budget in episodes (× the episode length)", { min: 1, unset: "100 episodes, when --steps is not given" }),
    steps: flag.int("training budget in env steps, the total (counting a resumed checkpoint's)", { min: 1, unset: "100 episodes" }),
    seed: flag.int("seed of parameters, sampling, minibatches and env (the first seed with --seeds)", { min: 0, max: 0xffffffff, unset: "0" }),
    out: flag.path("checkpoint folder to write (with --seeds K: the folder of the seed-<s> checkpoints)", { placeholder: "DIR", unset: "nothing saved (with --resume: the resumed folder)" }),
    force: forceFlag(),
    resume: flag.path("continue training this checkpoint (its agent, env, data range and seed)", { placeholder: "DIR", unset: "a new run" }),
    checkpointEvery: flag.int("also save the checkpoint every N updates (marked partial)", { min: 0, unset: "0: only at the end" }),
    maxSeconds: flag.number("stop after the update during which this many seconds passed (not reproducible)", { gt: 0, placeholder: "S", unset: "no limit" }),
    backend: flag.choice(BACKEND_PREFERENCES, "tfjs backend", { unset: "auto (tfjs-node-gpu, tfjs-node, wasm, cpu)" }),
    engine: flag.choice(ENGINE_PREFERENCES, "compute engine", { unset: "auto (without a GPU: simd for MLP trunks, fused for small LSTMs)" }),
    agent: flag.json("agent config overrides, e.g. '{\"ppo\":{\"numEnvs\":16}}'", { unset: "the preset's" }),
    env: flag.json("env config overrides at any depth", { unset: "the env preset's" }),
    progress: flag.choice(["auto", "bar", "lines", "notebook", "none"] as const, "progress display", { unset: "auto: a bar on a terminal, a line every 10 % otherwise" }),
    seeds: flag.int("independent runs K: seeds --seed … --seed + K − 1, each in <out>/seed-<s>", { min: 1, max: 1000, default: 1 }),
    testStart: flag.date("start of the out-of-sample backtest window", { unset: "--train-end" }),
    testEnd: flag.date("end of the out-of-sample backtest window (exclusive)", { unset: "the data's end" }),
    run: flag.string("report folder name under reports/", { pattern: NAME, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", unset: "the --out folder's name, else train" }),
    backtest: flag.offSwitch("backtest every run in- and out-of-sample against the baselines (--no-backtest: training only)"),
    report: flag.offSwitch("write reports/<run>/report.html (--no-report: print the backtest tables only)"),
  },
  json: true,
  interruptible: true,
  examples: [
    "npm run train -- --steps 20000 --out checkpoints/try",
    "npm run train -- --preset seed --data data/btc.csv --train-end 2019-06-27 --seeds 3 --out checkpoints/seed3",
    "npm run train -- --resume checkpoints/try --steps 40000",
    "npm run train -- --steps 20000 --out checkpoints/try --force --json",
  ],
  async run(f, ctx) {
    // Only the flags given are passed: the config's defaults (and a resumed checkpoint's settings) fill the rest.
    const input: Record<string, unknown> = {};
    const put = (key: keyof TrainConfigInput, v: unknown): void => {
      if (v !== undefined) input[key] = v;
    };
    put("data", f.data);
    put("trainStart", f.trainStart);
    put("trainEnd", f.trainEnd);
    put("preset", f.preset);
    put("envPreset", f.envPreset);
    put("episodes", f.episodes);
    put("steps", f.steps);
    put("seed", f.seed);
    // Resuming without --out continues the checkpoint in place.
    put("out", f.out ?? f.resume);
    put("force", f.force);
    put("backend", f.backend);
    put("engine", f.engine);
    put("resume", f.resume);
    put("checkpointEvery", f.checkpointEvery);
    put("maxSeconds", f.maxSeconds);
    put("agent", f.agent);
    put("env", f.env);
    put("progress", f.progress);
    const out = f.out ?? f.resume;
    const outName = out === undefined ? "" : basename(out);
    const runName = f.run ?? (NAME.test(outName) ? outName : "train");
    const job = await runTrainJob({
      config: input as TrainConfigInput,
      seeds: f.seeds,
      ...(f.testStart === undefined && f.testEnd === undefined
        ? {}
        : { test: { ...(f.testStart === undefined ? {} : { start: f.testStart }), ...(f.testEnd === undefined ? {} : { end: f.testEnd }) } }),
      backtest: f.backtest,
      report: f.report ? { runName, command: ctx.commandLine, force: f.force } : null,
      log: ctx.log,
      trainWrite: ctx.write,
      trainIsTTY: ctx.isTTY,
      signal: ctx.signal,
      resumeHint: (dir) => `npm run train -- --resume ${dir}`,
    });
    if (job.summary !== "") ctx.log(`\n${job.summary}`);
    if (job.reportPath !== null) ctx.log(`\nreport: ${job.reportPath}`);
    ctx.out(job.json);
  },
});

await runCommand(trainCommand);
