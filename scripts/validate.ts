/**
 * `npm run validate -- data/foo.csv [more.csv ...] [--timeframe 1h] [--json] [--gaps N]`
 *
 * Reads each candle CSV with the project's reader (src/data/csv.ts) and prints its report — rows, range,
 * sha256 and a gaps table — or every broken rule (up to 20 per file). Exit status 1 when any file is invalid
 * or unreadable, 2 on bad flags.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { TIMEFRAME_MS } from "../src/data/candles.js";
import { readCandlesCsv, type CsvReport } from "../src/data/csv.js";
import { CandleCsvError } from "../src/data/errors.js";
import { formatGapTable } from "../src/data/gaps.js";

const HELP = `Validate candle CSV files (timestamp,open,high,low,close,volume; see docs/data.md).

Usage: npm run validate -- FILE.csv [FILE.csv ...] [flags]

  --timeframe TF   bar length the timestamps must align to: ${Object.keys(TIMEFRAME_MS).join(" ")} (default 1h)
  --json           print one JSON object per file (report or error) instead of text
  --gaps N         rows of the gaps table to print (default 30; 0 hides it)
  --help           this text

Exit status: 0 all valid, 1 a file is invalid or unreadable, 2 bad flags.`;

const flagsSchema = z
  .object({
    /** Bar length the timestamps must align to. */
    timeframe: z.enum(Object.keys(TIMEFRAME_MS) as [string, ...string[]]).default("1h"),
    /** JSON output, one object per file. */
    json: z.boolean().default(false),
    /** Rows of the gaps table shown in text output. */
    gaps: z.coerce.number().int().nonnegative().default(30),
    help: z.boolean().default(false),
  })
  .strict();

let flags: z.output<typeof flagsSchema>;
let files: string[];
try {
  const { values, positionals } = parseArgs({
    options: {
      timeframe: { type: "string" },
      json: { type: "boolean" },
      gaps: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  flags = flagsSchema.parse(values);
  files = positionals;
} catch (err) {
  const message = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
  console.error(`validate: ${message}\n\n${HELP}`);
  process.exit(2);
}
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
if (files.length === 0) {
  console.error(`validate: no file given\n\n${HELP}`);
  process.exit(2);
}

function printReport(r: CsvReport): void {
  const range = r.rows === 0 ? "no rows" : `${r.firstIso} .. ${r.lastIso}`;
  console.log(`${r.file}: valid, ${r.rows} rows (${r.timeframe}), ${range}`);
  console.log(`  sha256 ${r.sha256}`);
  const g = r.gaps;
  if (g.count === 0) {
    console.log("  no gaps");
    return;
  }
  const largest = g.largest!;
  const where = `${largest.fromIso} .. ${largest.toIso}`;
  console.log(`  ${g.count} gaps, ${g.missingBars} missing bars; largest ${largest.missingBars} bars ${where}`);
  if (flags.gaps > 0) for (const line of formatGapTable(g, flags.gaps)) console.log(line);
}

let failed = false;
for (const file of files) {
  try {
    const { report } = readCandlesCsv(file, { timeframe: flags.timeframe });
    if (flags.json) console.log(JSON.stringify({ file, valid: true, report }));
    else printReport(report);
  } catch (err) {
    failed = true;
    if (err instanceof CandleCsvError) {
      if (flags.json) {
        const { code, truncated, issues } = err;
        console.log(JSON.stringify({ file, valid: false, code, truncated, issues }));
      } else {
        console.log(err.message);
      }
    } else {
      const message = err instanceof Error ? err.message : String(err);
      if (flags.json) console.log(JSON.stringify({ file, valid: false, code: "unreadable", message }));
      else console.log(`${file}: cannot be read: ${message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
