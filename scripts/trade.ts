/**
 * npm run trade -- --checkpoint DIR --exchange ID --symbol BTC/USDT --timeframe 5m|1h [--redis URL] [--journal FILE]
 *                  [--paper (default) | --live --confirm-live] [--sandbox] [--replay CSV|embedded --start DATE --end DATE
 *                  --tick-ms N] [--risk off|standard] [--json]
 * Runs a checkpoint as a replay, paper or live trader (docs/live.md). Paper is the default; live needs --live, the
 * credentials in TRADER_API_KEY / TRADER_API_SECRET and --confirm-live. With --json the last line is one object:
 * totalReturn, trades, ticks, journal (and mode, finalValue, stoppedBy).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { runTradeJob } from "../src/jobs/trade-job.js";

const flagsSchema = z
  .object({
    checkpoint: z.string().min(1),
    exchange: z.string().min(1).default("binance"),
    symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/, "expected BASE/QUOTE, e.g. BTC/USDT").default("BTC/USDT"),
    timeframe: z.enum(["1m", "5m", "15m", "30m", "1h", "4h", "1d"]).default("5m"),
    redis: z.string().regex(/^rediss?:\/\//, "expected a redis:// URL").optional(),
    journal: z.string().optional(),
    paper: z.boolean().default(false),
    live: z.boolean().default(false),
    confirmLive: z.boolean().default(false),
    sandbox: z.boolean().default(false),
    replay: z.string().optional(),
    start: z.string().optional(),
    end: z.string().optional(),
    tickMs: z.coerce.number().int().min(0).max(60_000).default(0),
    risk: z.enum(["off", "standard"]).default("standard"),
    historyBars: z.coerce.number().int().min(2).max(1_000_000).optional(),
    lateStartMs: z.coerce.number().int().min(0).max(86_400_000).optional(),
    json: z.boolean().default(false),
    apiUrl: z.string().url().optional(),
    maxTicks: z.coerce.number().int().min(1).optional(),
  })
  .strict()
  .refine((f) => !(f.live && f.paper), { message: "--live and --paper are exclusive", path: ["live"] })
  .refine((f) => !(f.live && f.replay !== undefined), { message: "--live and --replay are exclusive", path: ["live"] });

const { values } = parseArgs({
  options: {
    checkpoint: { type: "string" },
    exchange: { type: "string" },
    symbol: { type: "string" },
    timeframe: { type: "string" },
    redis: { type: "string" },
    journal: { type: "string" },
    paper: { type: "boolean" },
    live: { type: "boolean" },
    "confirm-live": { type: "boolean" },
    sandbox: { type: "boolean" },
    replay: { type: "string" },
    start: { type: "string" },
    end: { type: "string" },
    "tick-ms": { type: "string" },
    risk: { type: "string" },
    "history-bars": { type: "string" },
    "late-start-ms": { type: "string" },
    json: { type: "boolean" },
    "api-url": { type: "string" },
    "max-ticks": { type: "string" },
  },
  strict: true,
});
const { "confirm-live": confirmLive, "tick-ms": tickMs, "history-bars": historyBars, "late-start-ms": lateStartMs, "api-url": apiUrl, "max-ticks": maxTicks, ...plain } = values;
const parsed = flagsSchema.safeParse({ ...plain, confirmLive, tickMs, historyBars, lateStartMs, apiUrl, maxTicks });
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  const flag = issue.path.map(String).join(".").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  console.error(`npm run trade: --${flag}: ${issue.message}`);
  process.exit(2);
}
const f = parsed.data;
const ctl = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => ctl.abort());
try {
  const out = await runTradeJob({
    checkpoint: f.checkpoint,
    exchange: f.exchange,
    symbol: f.symbol,
    timeframe: f.timeframe,
    live: f.live,
    confirmLive: f.confirmLive,
    sandbox: f.sandbox,
    replay: f.replay === undefined ? null : { data: f.replay === "embedded" ? null : f.replay, tickMs: f.tickMs, ...(f.start === undefined ? {} : { start: f.start }), ...(f.end === undefined ? {} : { end: f.end }) },
    ...(f.journal === undefined ? {} : { journal: f.journal }),
    risk: f.risk,
    ...(f.historyBars === undefined ? {} : { historyBars: f.historyBars }),
    ...(f.apiUrl === undefined ? {} : { apiUrl: f.apiUrl }),
    ...(f.maxTicks === undefined ? {} : { maxTicks: f.maxTicks }),
    ...(f.lateStartMs === undefined ? {} : { traderOptions: { lateStartMs: f.lateStartMs } }),
    log: (line) => (f.json ? console.error(line) : console.log(line)),
    signal: ctl.signal,
  });
  const s = out.summary;
  const line = `${s.mode}: ${s.ticks} decisions, ${s.trades} trades, value ${s.firstValue?.toFixed(2) ?? "?"} → ${s.finalValue?.toFixed(2) ?? "?"} (${s.totalReturn === null ? "?" : (100 * s.totalReturn).toFixed(2)}%), ${s.stoppedBy}; journal ${s.journal}`;
  if (f.json) {
    console.error(line);
    console.log(JSON.stringify(out.json));
  } else console.log(line);
  if (s.stoppedBy === "halt") process.exitCode = 1;
} catch (err) {
  if (err instanceof Error && "code" in err) {
    console.error(`npm run trade: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
