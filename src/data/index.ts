/**
 * The data layer's public face: the candle type, the CSV format, validation rules and errors, gap analysis,
 * date splits, the downloader and the market statistics. `danfo.ts` is left out on purpose: importing
 * danfojs-node loads TensorFlow.js and takes over a second; notebooks import `./danfo.js` directly.
 */
export * from "./candles.js";
export * from "./errors.js";
export * from "./rules.js";
export * from "./gaps.js";
export * from "./csv.js";
export * from "./market-stats.js";
