/**
 * The trader's benchmark section of `npm run bench`:
 *   trade_replay_ticks_per_s      replay throughput with the journal on (the trader loop only: start-up, checkpoint
 *                                 and data loading excluded), the article's env; target ≥ 2,000 ticks/s;
 *   trade_replay_ticks_per_s_research   the same with the research features (exposure preset, 4-bar look-back);
 *   trade_replay_ticks_per_cpu_s(_research)  the same per second of the process's CPU time (a shared machine's
 *                                 wall-clock figure depends on its load; this one much less);
 *   trade_decision_ms_p50/_p99    one live tick's decision excluding the exchange: features over the history,
 *                                 observation, policy step, action scheme, guidance and risk filters, and the
 *                                 journal commit of the decision (target p99 < 10 ms), research features, 1,000 bars;
 *                                 (after 20 warm-up decisions; trade_decision_ms_first: the process's very first one);
 *   trade_decision_ms_p50_seed/_p99_seed  the same with the article's features;
 *   trade_decision_cpu_ms_*       the same in this process's CPU time (the wall clock's tail is other processes' time).
 * Checkpoints are trained for the bench (a few updates: the policy's quality does not change the cost).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicy } from "../agent/index.js";
import { loadEmbeddedMarket } from "../data/embedded.js";
import { resolveEnvConfig, type EnvConfig } from "../env/index.js";
import { replayJobOptions, runTradeJob } from "../jobs/trade-job.js";
import { decideOnHistory, DecisionModel } from "../trading/decide.js";
import { MarketHistory } from "../trading/market-history.js";
import { decisionId, runTag } from "../trading/order-id.js";
import { NO_MARKET_RULES, resolveRiskLimits } from "../trading/risk/risk-config.js";
import { RiskOrderFilter } from "../trading/risk/risk-filter.js";
import { RiskManager } from "../trading/risk/risk-manager.js";
import { Journal } from "./journal.js";
import { trainTestCheckpoint } from "./testing/checkpoints.js";

export interface TradeBenchOptions {
  /** Timed runs per figure (the median is reported). */
  readonly runs: number;
  readonly log: (line: string) => void;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Ticks per second of wall time and per second of this process's CPU time (the machine may be shared). */
async function replayTicksPerSecond(ck: string, dir: string, name: string): Promise<{ wall: number; cpu: number }> {
  const journal = join(dir, `${name}-${Math.random().toString(36).slice(2)}.db`);
  let first = 0;
  let last = 0;
  let ticks = 0;
  let cpu0 = process.cpuUsage();
  let cpu1 = cpu0;
  await runTradeJob(replayJobOptions({
    checkpoint: ck,
    replay: { data: null, start: "2021-03-01", end: "2021-05-01", tickMs: 0 },
    journal,
    risk: "standard",
    hooks: {
      onTick: () => {
        const t = performance.now();
        if (ticks === 0) {
          first = t;
          cpu0 = process.cpuUsage();
        }
        last = t;
        cpu1 = process.cpuUsage();
        ticks++;
      },
    },
  }));
  // Ticks after the first, over the time between the first and the last tick's end.
  const cpuS = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1e6;
  return { wall: (ticks - 1) / ((last - first) / 1000), cpu: (ticks - 1) / cpuS };
}

/**
 * Latencies (ms) of `n` live-tick decisions at the end of a history of `bars` bars, each with its journal commit:
 * wall clock, and this process's CPU time (on a shared machine the wall clock's tail is other processes' time).
 */
async function decisionLatencies(ck: string, dir: string, n: number, bars: number, warmup = 0): Promise<{ wall: number[]; cpu: number[]; first: number }> {
  const policy = await loadPolicy(ck);
  const env: EnvConfig = resolveEnvConfig(policy.manifest.env.config as EnvConfig);
  const model = new DecisionModel(env);
  const c = loadEmbeddedMarket();
  const history = new MarketHistory(c.meta, null);
  const bar = (i: number) => ({ ts: c.timestamp[i]!, open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]! });
  const from = c.length - bars - n - warmup - 1;
  for (let i = from; i < from + bars; i++) history.append([bar(i)]);
  const { journal } = Journal.open(join(dir, `latency-${Math.random().toString(36).slice(2)}.db`), { mode: "paper", exchange: "bench", symbol: "BTC/USD", timeframe: "1h", checkpointSha256: "bench" }, () => "bench");
  const tag = runTag(journal.runId);
  const risk = new RiskManager(resolveRiskLimits("standard"), NO_MARKET_RULES, model.terms);
  let now = 0;
  const filter = new RiskOrderFilter(risk, () => now, false);
  let cash: number = env.initialCash;
  let coins: number = env.initialCoins;
  const out: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < n + warmup; k++) {
    const b = bar(from + bars + k);
    history.append([b]);
    now = b.ts + 3_600_000;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const d = decideOnHistory(model, history.candles(bars), policy, { guidance: null, risk: filter }, { cash, coins, cashAvailable: cash, coinsAvailable: coins });
    // As the trader writes a decision: gathered, one statement (Journal.write).
    journal.write(() => {
      journal.recordEquity({ barTs: b.ts, price: d.price, cash, coins, value: cash + coins * d.price });
      journal.recordDecision(
        {
          decisionId: decisionId(tag, b.ts),
          barTs: b.ts,
          createdAt: Date.now(),
          price: d.price,
          cash,
          coins,
          value: cash + coins * d.price,
          action: d.action,
          probabilities: d.probabilities,
          criticValue: d.criticValue,
          holdReason: d.holdReason,
          guidance: null,
          riskCode: d.risk.code,
          riskDetail: null,
          side: null,
          spend: null,
          amount: null,
          policyState: d.policyState,
          riskState: JSON.stringify(risk.state),
        },
        null,
      );
    });
    out.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    cpu.push((c1.user + c1.system) / 1000);
    // Keep the portfolio moving as if the order filled at the close (the cost does not depend on it).
    if (d.order.spendUsd > 0) {
      cash -= d.order.spendUsd;
      coins += (d.order.spendUsd * (1 - env.commission)) / d.price;
    } else if (d.order.sellCoins > 0) {
      coins -= d.order.sellCoins;
      cash += d.order.sellCoins * d.price * (1 - env.commission);
    }
  }
  journal.close();
  // The first `warmup` decisions (the first one compiles the code paths) are reported apart: `first` is the first's.
  return { wall: out.slice(warmup), cpu: cpu.slice(warmup), first: out[0]! };
}

export async function benchTrade(opts: TradeBenchOptions): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-trade-"));
  try {
    const seed = await trainTestCheckpoint(dir, "seed");
    const research = await trainTestCheckpoint(dir, "exposure");
    // Latencies first: a live trader's process trains nothing and replays nothing, so they are measured before the
    // replays have grown this process's heap (whose old-space collections would land in the tail).
    const r = await decisionLatencies(research, dir, 400, 1_000, 20);
    const s = await decisionLatencies(seed, dir, 400, 1_000, 20);
    const seedRates: number[] = [];
    const researchRates: number[] = [];
    const seedCpu: number[] = [];
    const researchCpu: number[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const a = await replayTicksPerSecond(seed, dir, "seed");
      const b = await replayTicksPerSecond(research, dir, "research");
      seedRates.push(a.wall);
      seedCpu.push(a.cpu);
      researchRates.push(b.wall);
      researchCpu.push(b.cpu);
    }
    const fmt = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
    opts.log(`trade (replay of the embedded market, 1,463 hourly ticks, journal on, risk "standard")`);
    opts.log(`  article env:  ${fmt(median(seedRates))} ticks/s (median of ${seedRates.map(fmt).join(", ")}; target ≥ 2,000); ${fmt(median(seedCpu))} ticks per CPU-second`);
    opts.log(`  research env: ${fmt(median(researchRates))} ticks/s (median of ${researchRates.map(fmt).join(", ")}); ${fmt(median(researchCpu))} ticks per CPU-second`);
    const lat = r.wall;
    const latSeed = s.wall;
    const f2 = (x: number) => x.toFixed(2);
    opts.log(`  decision of one live tick (features over 1,000 bars, policy, filters, journal commit; no exchange; 400 ticks after 20 warm-up ones):`);
    opts.log(`    research env: median ${f2(median(lat))} ms, p99 ${f2(quantile(lat, 0.99))} ms (target p99 < 10 ms); CPU time median ${f2(median(r.cpu))} ms, p99 ${f2(quantile(r.cpu, 0.99))} ms`);
    opts.log(`    article env:  median ${f2(median(latSeed))} ms, p99 ${f2(quantile(latSeed, 0.99))} ms; CPU time median ${f2(median(s.cpu))} ms, p99 ${f2(quantile(s.cpu, 0.99))} ms`);
    opts.log(`    the very first decision of a process (code paths compiling): research env ${f2(r.first)} ms, article env ${f2(s.first)} ms`);
    return {
      trade_replay_ticks_per_s: median(seedRates),
      trade_replay_ticks_per_cpu_s: median(seedCpu),
      trade_replay_ticks_per_s_research: median(researchRates),
      trade_replay_ticks_per_cpu_s_research: median(researchCpu),
      trade_decision_ms_p50: median(lat),
      trade_decision_ms_p99: quantile(lat, 0.99),
      trade_decision_ms_p50_seed: median(latSeed),
      trade_decision_ms_p99_seed: quantile(latSeed, 0.99),
      trade_decision_cpu_ms_p50: median(r.cpu),
      trade_decision_cpu_ms_p99: quantile(r.cpu, 0.99),
      trade_decision_cpu_ms_p50_seed: median(s.cpu),
      trade_decision_cpu_ms_p99_seed: quantile(s.cpu, 0.99),
      trade_decision_ms_first: r.first,
      trade_decision_ms_first_seed: s.first,
      trade_history_bars: 1_000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
