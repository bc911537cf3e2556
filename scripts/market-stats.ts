/**
 * `npm run market-stats -- [file.csv[@start..end] ...]`: the figures of src/data/market-stats.ts side by side,
 * one column per series. With no paths: the embedded synthetic market. `@start..end` keeps the bars with
 * start ≤ open time < end (dates as in src/data/splits.ts). `--help` lists every flag.
 */
import { basename } from "node:path";
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { readCandlesCsv } from "../src/data/csv.js";
import { EMBEDDED_MARKET_PATH } from "../src/data/embedded.js";
import { formatMarketStatsTable, marketStats, type MarketStatsColumn } from "../src/data/market-stats.js";
import { selectRange } from "../src/data/splits.js";

export const marketStatsCommand = defineCommand({
  name: "npm run market-stats",
  summary: "Statistics of hourly candle series side by side (return std, kurtosis, volatility clustering, drawdowns).",
  description: "Each FILE may end in @start..end to keep [start, end), e.g. btc_usd_1h.csv@2018-05-06..2019-06-28. See docs/market.md.",
  flags: {
    markdown: flag.switch("print a Markdown table (for docs) instead of aligned text"),
  },
  positionals: { name: "FILE", description: "candle CSVs, each optionally FILE@start..end (default: the embedded market)", variadic: true },
  json: true,
  examples: ["npm run market-stats", "npm run market-stats -- data/btc_usd_1h.csv@2018-05-06..2019-06-28 --markdown"],
  run(f, ctx) {
    const specs = ctx.args.length > 0 ? ctx.args : [EMBEDDED_MARKET_PATH];
    const columns: MarketStatsColumn[] = specs.map((spec) => {
      const at = spec.lastIndexOf("@");
      const path = at > 0 ? spec.slice(0, at) : spec;
      const window = at > 0 ? spec.slice(at + 1) : "";
      let { candles } = readCandlesCsv(path);
      if (window !== "") {
        const [start, end] = window.split("..");
        candles = selectRange(candles, { ...(start ? { start } : {}), ...(end ? { end } : {}) });
      }
      return { label: basename(path) + (window ? ` ${window}` : ""), stats: marketStats(candles) };
    });
    if (ctx.json) ctx.out(columns);
    else ctx.log(formatMarketStatsTable(columns, f.markdown ? "markdown" : "text"));
  },
});

await runCommand(marketStatsCommand);
