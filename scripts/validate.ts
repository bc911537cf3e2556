/**
 * `npm run validate -- data/foo.csv [more.csv ...]`: reads each candle CSV with the project's reader
 * (src/data/csv.ts) and prints its report (rows, range, sha256, gaps) or every broken rule (up to 20 per file).
 * `--help` lists every flag.
 */
import { TIMEFRAME_MS } from "../src/data/candles.js";
import { readCandlesCsv, type CsvReport } from "../src/data/csv.js";
import { CandleCsvError } from "../src/data/errors.js";
import { formatGapTable } from "../src/data/gaps.js";
import { defineCommand, flag, runCommand } from "../src/cli/index.js";

export const validateCommand = defineCommand({
  name: "npm run validate",
  summary: "Validate candle CSV files (timestamp,open,high,low,close,volume; docs/data.md) and print their reports.",
  description:
    "Exit 0: every file is valid; 1: a file is invalid or unreadable (each one's problems are listed); 2: bad flags. A file whose bars " +
    "are all further apart than --timeframe (a daily file checked as hourly) is reported as wrong_timeframe, not as gaps.",
  flags: {
    timeframe: flag.choice(Object.keys(TIMEFRAME_MS), "bar length the timestamps must have", { default: "1h" }),
    gaps: flag.int("rows of the gaps table to print (0 hides it)", { min: 0, default: 30 }),
  },
  positionals: { name: "FILE", description: "candle CSV files", variadic: true, required: true },
  json: true,
  examples: ["npm run validate -- data/btc_usd_1h.csv", "npm run validate -- data/*.csv --json", "npm run validate -- data/btc_1d.csv --timeframe 1d"],
  run(f, ctx) {
    const print = (line: string) => (ctx.json ? ctx.warn(line) : ctx.log(line));
    const printReport = (r: CsvReport): void => {
      const range = r.rows === 0 ? "no rows" : `${r.firstIso} .. ${r.lastIso}`;
      print(`${r.file}: valid, ${r.rows} rows (${r.timeframe}), ${range}`);
      print(`  sha256 ${r.sha256}`);
      const g = r.gaps;
      if (g.count === 0) {
        print("  no gaps");
        return;
      }
      const largest = g.largest!;
      print(`  ${g.count} gaps, ${g.missingBars} missing bars; largest ${largest.missingBars} bars ${largest.fromIso} .. ${largest.toIso}`);
      if (f.gaps > 0) for (const line of formatGapTable(g, f.gaps)) print(line);
    };
    let failed = false;
    const results: unknown[] = [];
    for (const file of ctx.args) {
      try {
        const { report } = readCandlesCsv(file, { timeframe: f.timeframe });
        results.push({ file, valid: true, report });
        printReport(report);
      } catch (err) {
        failed = true;
        if (err instanceof CandleCsvError) {
          const { code, truncated, issues } = err;
          results.push({ file, valid: false, code, truncated, issues });
          print(err.message);
        } else {
          const e = err as NodeJS.ErrnoException;
          const message = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "a folder, not a file" : err instanceof Error ? err.message : String(err);
          results.push({ file, valid: false, code: "unreadable", message });
          print(`${file}: cannot be read: ${message}`);
        }
      }
    }
    // --json: one line (docs/cli.md), one entry per file (report or error).
    ctx.out({ valid: !failed, files: results });
    return failed ? 1 : 0;
  },
});

await runCommand(validateCommand);
