/**
 * npm run portfolio -- [--asset BTC/USD=btc.csv --asset ETH/USD=eth.csv] [--missing-bars drop|fill]
 *                      [--train-start DATE] [--train-end DATE] [--test-end DATE] [--steps N] [--seeds K] [--seed S]
 *                      [--preset seed|default] [--agent JSON] [--env JSON] [--engine auto|fused|tfjs]
 *                      [--out DIR] [--run NAME] [--no-report] [--json]
 *
 * Trains the agent on the multi-asset portfolio env for K seeds and backtests them in- and out-of-sample
 * against the equal-weight buy-and-hold (held and rebalanced), each asset's buy-and-hold and the
 * perfect-foresight bound (src/jobs/portfolio-job.ts). Without --asset: the embedded synthetic BTC/ETH pair,
 * trained until 2022-07-01 and tested after. docs/portfolio.md.
 */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { runPortfolioJob } from "../src/jobs/portfolio-job.js";

const jsonObject = z.string().transform((text, ctx) => {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: "custom", message: `expected a JSON object, got ${text}` });
  return z.NEVER;
});
const asset = z.string().regex(/^[^=]+=.+$/, "expected SYMBOL=FILE.csv, e.g. BTC/USD=data/btc.csv").transform((s) => ({ symbol: s.slice(0, s.indexOf("=")), csv: s.slice(s.indexOf("=") + 1) }));

const flagsSchema = z
  .object({
    asset: z.array(asset).optional(),
    "missing-bars": z.enum(["drop", "fill"]).default("drop"),
    "train-start": z.string().optional(),
    "train-end": z.string().optional(),
    "test-end": z.string().optional(),
    steps: z.coerce.number().int().min(1).default(100_000),
    seeds: z.coerce.number().int().min(1).max(100).default(3),
    seed: z.coerce.number().int().min(0).default(0),
    preset: z.enum(["seed", "default"]).default("default"),
    agent: jsonObject.optional(),
    env: jsonObject.optional(),
    engine: z.enum(["auto", "fused", "tfjs"]).default("auto"),
    out: z.string().default("checkpoints/portfolio"),
    run: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
    "no-report": z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .strict();

async function main(): Promise<number> {
  const strings = ["missing-bars", "train-start", "train-end", "test-end", "steps", "seeds", "seed", "preset", "agent", "env", "engine", "out", "run"];
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = { asset: { type: "string", multiple: true }, "no-report": { type: "boolean" }, json: { type: "boolean" } };
  for (const k of strings) options[k] = { type: "string" };
  const { values } = parseArgs({ options, strict: true });
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`npm run portfolio: --${String(issue.path[0])}: ${issue.message}`);
    return 2;
  }
  const f = parsed.data;
  const say = (line: string): void => void (f.json ? process.stderr : process.stdout).write(`${line}\n`);
  const embedded = f.asset === undefined;
  const job = await runPortfolioJob({
    config: {
      preset: f.preset,
      ...(f.agent ? { agent: f.agent } : {}),
      ...(f.env ? { env: f.env } : {}),
      data: { assets: f.asset ?? null, missingBars: f["missing-bars"] },
      trainStart: f["train-start"] ?? null,
      trainEnd: f["train-end"] ?? (embedded ? "2022-07-01" : null),
      steps: f.steps,
      seed: f.seed,
      engine: f.engine,
      out: f.out,
      progress: f.json ? "none" : "auto",
    },
    seeds: f.seeds,
    testEnd: f["test-end"] ?? null,
    report: f["no-report"] ? null : { runName: f.run ?? (basename(f.out) || "portfolio"), command: `npm run portfolio -- ${process.argv.slice(2).join(" ")}` },
    log: say,
    trainWrite: (t) => void (f.json ? process.stderr : process.stdout).write(t),
  });
  say(`\n${job.summary}`);
  if (job.reportPath) say(`\nreport: ${job.reportPath}`);
  if (f.json) process.stdout.write(`${JSON.stringify(job.json)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`npm run portfolio: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
