import { runTradeJob } from "./src/jobs/trade-job.js";
import { loadEmbeddedMarket } from "./src/data/index.js";
import { loadAgentPolicy } from "./src/eval/agent-policy.js";
import { backtestModel, runBacktest } from "./src/eval/backtest.js";
import { rmSync } from "node:fs";
for (const ck of ["/tmp/ck-seed", "/tmp/ck-exposure"]) {
  rmSync("/tmp/rj.db", { force: true }); rmSync("/tmp/rj.db-wal", { force: true }); rmSync("/tmp/rj.db-shm", { force: true });
  const t0 = performance.now();
  const r = await runTradeJob({ checkpoint: ck, exchange: "replay", symbol: "BTC/USD", timeframe: "1h", live: false, confirmLive: false, sandbox: false, replay: { data: null, start: "2021-03-01", end: "2021-06-01", tickMs: 0 }, journal: "/tmp/rj.db", risk: "off" });
  const s = (performance.now() - t0) / 1000;
  const lp = await loadAgentPolicy(ck);
  const tr = runBacktest(backtestModel(loadEmbeddedMarket(), lp.env, { start: "2021-03-01", end: "2021-06-01" }), lp.makePolicy("greedy"));
  const trades = Array.from(tr.side).filter((x) => x !== 0).length;
  console.log(ck, r.json.trades, r.json.ticks, "backtest", tr.steps, trades, "diff", (r.summary.finalValue ?? 0) - tr.value[tr.steps]!, "ticks/s", (r.summary.ticks / s).toFixed(0));
}
