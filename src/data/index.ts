/**
 * The data layer's public face: the candle type, the CSV format, validation rules and errors, gap analysis,
 * date splits, the downloader, the synthetic market and market statistics.
 *
 * `danfo.ts` is left out on purpose: importing danfojs-node loads TensorFlow.js (about 1.4 s), which code that
 * only reads CSVs should not pay; notebooks import `src/data/danfo.js` directly. The downloader imports ccxt
 * (about 1.1 s) lazily, on its first call, for the same reason.
 */
export * from "./candles.js";
export * from "./errors.js";
export * from "./rules.js";
export * from "./gaps.js";
export * from "./csv.js";
export * from "./splits.js";
export * from "./fetch.js";
export * from "./synthetic.js";
export * from "./embedded.js";
export * from "./market-stats.js";
