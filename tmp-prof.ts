import { runTradeJob } from "./src/jobs/trade-job.js";
import { rmSync } from "node:fs";
rmSync("/tmp/rj.db", { force: true }); rmSync("/tmp/rj.db-wal", { force: true }); rmSync("/tmp/rj.db-shm", { force: true });
const r = await runTradeJob({ checkpoint: "/tmp/ck-seed", exchange: "replay", symbol: "BTC/USD", timeframe: "1h", live: false, confirmLive: false, sandbox: false, replay: { data: null, start: "2021-03-01", end: "2021-09-01", tickMs: 0 }, journal: "/tmp/rj.db", risk: "off" });
console.log(r.json);
