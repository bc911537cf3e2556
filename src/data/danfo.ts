import { DataFrame } from "danfojs-node";
import { allocCandles, type CandleMeta, type Candles } from "./candles.js";
import { CandleDataError } from "./errors.js";
import { validateCandles } from "./rules.js";

/**
 * Candles ⇄ danfojs DataFrame, for notebooks. Kept out of the data layer's index: importing danfojs-node
 * loads TensorFlow.js (about 1.4 s), which scripts that only read CSVs should not pay. danfojs-node is a
 * CommonJS package; Node's CJS named-export detection makes `import { DataFrame }` work under tsx, vitest
 * and tslab alike.
 */

/** Column names of the frame: `date` (ISO UTC of the bar open) first, then OHLCV, then `timestamp` (ms). */
export const FRAME_COLUMNS = ["date", "open", "high", "low", "close", "volume", "timestamp"] as const;

/** A DataFrame with a `date` column of ISO strings, the OHLCV columns and the raw `timestamp` (ms). */
export function candlesToDataFrame(candles: Candles): DataFrame {
  const date = new Array<string>(candles.length);
  for (let i = 0; i < candles.length; i++) date[i] = new Date(candles.timestamp[i]!).toISOString();
  return new DataFrame(
    {
      date,
      open: Array.from(candles.open),
      high: Array.from(candles.high),
      low: Array.from(candles.low),
      close: Array.from(candles.close),
      volume: Array.from(candles.volume),
      timestamp: Array.from(candles.timestamp),
    },
    { columns: [...FRAME_COLUMNS] },
  );
}

function columnValues(df: DataFrame, name: string, source: string): unknown[] {
  if (!df.columns.includes(name)) {
    const issue = {
      code: "bad_header",
      row: 0,
      field: name,
      expected: `a column named "${name}"`,
      got: `columns ${JSON.stringify(df.columns)}`,
    } as const;
    throw new CandleDataError(source, [issue], false);
  }
  return df.column(name).values as unknown[];
}

function toNumber(x: unknown): number {
  if (typeof x === "number") return x;
  if (typeof x === "string" && x.trim() !== "") return Number(x);
  return Number.NaN;
}

/**
 * A validated series from a frame with OHLCV columns and either a `timestamp` column (ms) or a `date` column
 * (ISO strings or Dates); `timestamp` wins when both exist. Throws {@link CandleDataError} with the row and
 * column of every broken rule (a missing column is reported as `bad_header`).
 */
export function dataFrameToCandles(df: DataFrame, meta: CandleMeta): Candles {
  const source = meta.source ?? "DataFrame";
  const n = df.shape[0] ?? 0;
  const out = allocCandles(meta, n);
  if (df.columns.includes("timestamp")) {
    const ts = columnValues(df, "timestamp", source);
    for (let i = 0; i < n; i++) out.timestamp[i] = toNumber(ts[i]);
  } else {
    const dates = columnValues(df, "date", source);
    for (let i = 0; i < n; i++) {
      const d = dates[i];
      out.timestamp[i] = d instanceof Date ? d.getTime() : typeof d === "string" ? Date.parse(d) : toNumber(d);
    }
  }
  for (const name of ["open", "high", "low", "close", "volume"] as const) {
    const values = columnValues(df, name, source);
    const target = out[name];
    for (let i = 0; i < n; i++) target[i] = toNumber(values[i]);
  }
  validateCandles(out, { source });
  return out;
}
