/**
 * The fake Binance in a process of its own (benchmarks: the trader's CPU time is then the trader's alone). Argument:
 * a JSON object `{ barMs, first, count, wsPollMs, wsUpdateMs }`; it serves `count` candles of `barMs` from `first` on the
 * system clock, prints one line `{"url":"http://127.0.0.1:PORT"}` and runs until SIGTERM or SIGINT.
 */
import { startFakeBinance } from "./fake-binance.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as { barMs: number; first: number; count: number; wsPollMs?: number; wsUpdateMs?: number };
const fake = await startFakeBinance({ balances: { USDT: 10_000, BTC: 1 }, minNotional: 1, wsPollMs: spec.wsPollMs ?? 1, wsUpdateMs: spec.wsUpdateMs ?? 1_000 });
fake.candles = Array.from({ length: spec.count }, (_, i) => {
  const close = 100 + Math.sin(i / 7);
  const open = 100 + Math.sin((i - 1) / 7);
  return { ts: spec.first + i * spec.barMs, open, high: Math.max(open, close) + 0.1, low: Math.min(open, close) - 0.1, close, volume: 1 + (i % 5) };
});
const stop = (): void => {
  const c = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMs: (c.user + c.system) / 1000, klines: fake.count("klines") })}\n`);
  void fake.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
