import { fileURLToPath } from "node:url";
import type { Candles } from "./candles.js";
import { readCandlesCsv, type CsvReadResult } from "./csv.js";

/**
 * The market that ships with the project: two years of synthetic hourly BTC/USD (src/data/synthetic.ts,
 * default config and seed), committed as data/synthetic-btc-1h.csv so that notebooks, tests and the quick
 * start run without a download. `npm run gen:market` regenerates it byte for byte.
 */

/** Absolute path of data/synthetic-btc-1h.csv, resolved from this module's URL (independent of the cwd). */
export const EMBEDDED_MARKET_PATH = fileURLToPath(new URL("../../data/synthetic-btc-1h.csv", import.meta.url));

/** Meta every embedded series carries. */
export const EMBEDDED_MARKET_META = { exchange: "synthetic", symbol: "BTC/USD", timeframe: "1h" } as const;

/** Reads and validates the committed CSV, with its report (rows, range, sha256, gaps). */
export function readEmbeddedMarket(): CsvReadResult {
  return readCandlesCsv(EMBEDDED_MARKET_PATH, EMBEDDED_MARKET_META);
}

/** The embedded market's candles (exchange "synthetic", symbol "BTC/USD", timeframe "1h"). */
export function loadEmbeddedMarket(): Candles {
  return readEmbeddedMarket().candles;
}
