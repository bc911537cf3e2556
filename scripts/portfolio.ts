/**
 * `npm run portfolio`: trains the agent on the multi-asset portfolio env for K seeds and backtests them in- and
 * out-of-sample against the equal-weight buy-and-hold (held and rebalanced), each asset's buy-and-hold and the
 * perfect-foresight bound, with a report (src/jobs/portfolio-job.ts). docs/portfolio.md.
 */
import { basename } from "node:path";
import { AGENT_PRESET_NAMES } from "../src/agent/index.js";
import { ENGINE_PREFERENCES } from "../src/agent/create-engine.js";
import { CliError, defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { runPortfolioJob } from "../src/jobs/portfolio-job.js";

const NAME = /^[A-Za-z0-9._-]+$/;

export const portfolioCommand = defineCommand({
  name: "npm run portfolio",
  summary: "Train the agent on several assets at once, backtest it against the equal-weight portfolio and write a report.",
  description:
    "Without --asset: the embedded synthetic BTC/ETH pair (offline), trained before 2022-07-01 and tested after. Actions are " +
    "target weight levels (--actions target_weights or softmax_weights for continuous weights; --env '{\"actions\":{\"levels\":[0,0.25,0.5,0.75,1]}}' for finer ones). SIGINT/SIGTERM stop after the " +
    "current update (its checkpoint marked interrupted). See docs/portfolio.md.",
  flags: {
    asset: flag.list("an asset as SYMBOL=FILE.csv (repeat the flag for each asset)", {
      placeholder: "SYMBOL=FILE",
      unset: "the embedded synthetic BTC/USD + ETH/USD pair",
      item: (s) => (/^[^=]+=.+$/.test(s) ? null : `expected SYMBOL=FILE.csv, got ${JSON.stringify(s)}`),
    }),
    missingBars: flag.choice(["drop", "fill"] as const, "a timestamp some asset lacks: drop it for every asset, or fill it flat and untradable", { default: "drop" }),
    trainStart: flag.date("first training bar (inclusive, UTC)", { unset: "the aligned data's first bar" }),
    trainEnd: flag.date("end of the training bars (exclusive, UTC); the out-of-sample window starts here", { unset: "2022-07-01 for the embedded pair, else the data's end" }),
    testEnd: flag.date("end of the out-of-sample window (exclusive)", { unset: "the data's end" }),
    steps: flag.int("env steps per seed", { min: 1, default: 100_000 }),
    seeds: flag.int("independent runs K: seeds --seed … --seed + K − 1", { min: 1, max: 100, default: 3 }),
    seed: flag.int("the first seed", { min: 0, max: 0xffffffff, default: 0 }),
    preset: flag.choice(AGENT_PRESET_NAMES, "agent preset", { default: "default" }),
    agent: flag.json("agent config overrides, e.g. '{\"ppo\":{\"numEnvs\":16}}'", { unset: "the preset's" }),
    env: flag.json("portfolio env config overrides (src/portfolio/config.ts)", { unset: "the defaults" }),
    actions: flag.choice(["weight_levels", "target_weights", "softmax_weights"] as const, "action scheme: categorical weight levels, or continuous target weights / softmax logits (a diagonal Gaussian head, fused engine)", {
      unset: "--env's actions.kind, else weight_levels",
    }),
    engine: flag.choice(ENGINE_PREFERENCES, "compute engine", { default: "auto" }),
    out: flag.path("checkpoint folder (with --seeds K: the folder of the seed-<s> checkpoints)", { placeholder: "DIR", default: "checkpoints/portfolio" }),
    force: forceFlag(),
    run: flag.string("report folder name under reports/", { pattern: NAME, patternText: "a folder name of letters, digits, . _ -", placeholder: "NAME", unset: "the --out folder's name" }),
    report: flag.offSwitch("write reports/<run>/report.html (--no-report: print the tables only)"),
  },
  json: true,
  interruptible: true,
  examples: [
    "npm run portfolio",
    "npm run portfolio -- --asset BTC/USD=data/btc.csv --asset ETH/USD=data/eth.csv --train-start 2019-01-01 --train-end 2022-01-01 --steps 300000",
    "npm run portfolio -- --seeds 5 --env '{\"reward\":{\"base\":{\"kind\":\"profit_vs_hold\"}}}' --out checkpoints/pf-profit --json",
  ],
  async run(f, ctx) {
    const env = actionsInto(f.env as Record<string, unknown> | undefined, f.actions);
    const assets = f.asset.length === 0 ? null : f.asset.map((a) => ({ symbol: a.slice(0, a.indexOf("=")), csv: a.slice(a.indexOf("=") + 1) }));
    const job = await runPortfolioJob({
      config: {
        preset: f.preset,
        ...(f.agent === undefined ? {} : { agent: f.agent }),
        ...(env === undefined ? {} : { env }),
        data: { assets, missingBars: f.missingBars },
        trainStart: f.trainStart ?? null,
        trainEnd: f.trainEnd ?? (assets === null ? "2022-07-01" : null),
        steps: f.steps,
        seed: f.seed,
        engine: f.engine,
        out: f.out,
        force: f.force,
        progress: ctx.json ? "none" : ctx.isTTY ? "bar" : "lines",
      },
      seeds: f.seeds,
      testEnd: f.testEnd ?? null,
      report: f.report ? { runName: f.run ?? (NAME.test(basename(f.out)) ? basename(f.out) : "portfolio"), command: ctx.commandLine, force: f.force } : null,
      log: ctx.log,
      trainWrite: ctx.write,
      signal: ctx.signal,
    });
    ctx.log(`\n${job.summary}`);
    if (job.reportPath !== null) ctx.log(`\nreport: ${job.reportPath}`);
    ctx.out(job.json);
  },
});

/** --actions KIND into the env config: replaces --env's actions unless they name the same kind (then its fields stay). */
function actionsInto(env: Record<string, unknown> | undefined, kind: string | undefined): Record<string, unknown> | undefined {
  if (kind === undefined) return env;
  const given = env?.["actions"] as { kind?: unknown } | undefined;
  if (given !== undefined && given.kind !== undefined && given.kind !== kind) {
    throw new CliError("invalid_flag", `--actions ${kind} contradicts --env's actions.kind ${JSON.stringify(given.kind)}: give one of them`, "--actions");
  }
  return { ...env, actions: { ...given, kind } };
}

await runCommand(portfolioCommand);
