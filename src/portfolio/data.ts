import { createHash } from "node:crypto";
import { z } from "zod";
import type { Candles } from "../data/candles.js";
import { readCandlesCsv } from "../data/csv.js";
import { generateSyntheticPair } from "../data/synthetic-pair.js";
import { alignMarkets, type AlignedMarket } from "./align.js";

/**
 * Where a portfolio's candles come from: one validated CSV per asset (the project's candle format), or the
 * embedded synthetic BTC/ETH pair (the default: runs offline). Aligned on one clock with the missing-bar
 * policy given, and identified by a hash of the aligned rows (the manifest and reports record it).
 */
export const portfolioDataSchema = z
  .object({
    /** One entry per asset; omitted or null: the embedded synthetic BTC/USD + ETH/USD pair. */
    assets: z
      .array(
        z
          .object({
            /** Symbol written into the series (and the observation labels), e.g. "BTC/USD". */
            symbol: z.string().min(1),
            /** Candle CSV (timestamp,open,high,low,close,volume). */
            csv: z.string().min(1),
          })
          .strict(),
      )
      .min(1)
      .nullable()
      .default(null),
    /** What to do with a timestamp some asset lacks: "drop" it for every asset, or "fill" it flat and untradable. */
    missingBars: z.enum(["drop", "fill"]).default("drop"),
  })
  .strict();

export type PortfolioDataInput = z.input<typeof portfolioDataSchema>;
export type PortfolioData = z.output<typeof portfolioDataSchema>;

export interface LoadedPortfolioMarket {
  readonly market: AlignedMarket;
  /** "embedded-pair", or the CSV paths joined by "+". */
  readonly source: string;
  /** SHA-256 over the source files' hashes (or the generator's recipe), in asset order. */
  readonly fileSha256: string;
  /** SHA-256 of the aligned rows (timestamps and every asset's OHLCV as float64 little-endian). */
  readonly alignedSha256: string;
}

export function loadPortfolioMarket(input: PortfolioDataInput = {}): LoadedPortfolioMarket {
  const data = portfolioDataSchema.parse(input);
  let series: readonly Candles[];
  let fileHashes: string[];
  let source: string;
  if (data.assets === null) {
    series = generateSyntheticPair();
    fileHashes = ["generateSyntheticPair default"];
    source = "embedded-pair";
  } else {
    const read = data.assets.map((a) => readCandlesCsv(a.csv, { symbol: a.symbol }));
    series = read.map((r) => r.candles);
    fileHashes = read.map((r) => r.report.sha256);
    source = data.assets.map((a) => a.csv).join("+");
  }
  const market = alignMarkets(series, { missingBars: data.missingBars });
  return { market, source, fileSha256: sha256(fileHashes.join("\n")), alignedSha256: alignedSha256(market) };
}

function sha256(x: string | Uint8Array): string {
  return createHash("sha256").update(x).digest("hex");
}

export function alignedSha256(m: AlignedMarket): string {
  const h = createHash("sha256");
  const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  h.update(bytes(m.timestamp));
  for (const c of m.candles) for (const col of [c.open, c.high, c.low, c.close, c.volume]) h.update(bytes(col));
  return h.digest("hex");
}
