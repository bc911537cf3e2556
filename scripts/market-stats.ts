/**
 * `npm run market-stats -- [file.csv[@start..end] ...] [--markdown] [--json]`
 *
 * Prints the figures of src/data/market-stats.ts side by side, one column per series. With no paths: the
 * embedded synthetic market. `@start..end` keeps the bars with start ≤ open time < end (dates as in
 * src/data/splits.ts, e.g. `btc_usd_1h.csv@2018-05-06..2019-06-28`).
 */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { readCandlesCsv } from "../src/data/csv.js";
import { EMBEDDED_MARKET_PATH } from "../src/data/embedded.js";
import { formatMarketStatsTable, marketStats, type MarketStatsColumn } from "../src/data/market-stats.js";
import { selectRange } from "../src/data/splits.js";

const flagsSchema = z
  .object({
    /** Print a Markdown table (for docs) instead of aligned text. */
    markdown: z.boolean().default(false),
    /** Print the raw figures as JSON instead of a table. */
    json: z.boolean().default(false),
  })
  .strict();

const { values, positionals } = parseArgs({
  options: { markdown: { type: "boolean" }, json: { type: "boolean" } },
  allowPositionals: true,
  strict: true,
});
const flags = flagsSchema.parse(values);
const specs = positionals.length > 0 ? positionals : [EMBEDDED_MARKET_PATH];

const columns: MarketStatsColumn[] = specs.map((spec) => {
  const at = spec.lastIndexOf("@");
  const path = at > 0 ? spec.slice(0, at) : spec;
  const window = at > 0 ? spec.slice(at + 1) : "";
  let { candles } = readCandlesCsv(path);
  if (window !== "") {
    const [start, end] = window.split("..");
    candles = selectRange(candles, {
      ...(start ? { start } : {}),
      ...(end ? { end } : {}),
    });
  }
  return { label: basename(path) + (window ? ` ${window}` : ""), stats: marketStats(candles) };
});

if (flags.json) console.log(JSON.stringify(columns, null, 2));
else console.log(formatMarketStatsTable(columns, flags.markdown ? "markdown" : "text"));
