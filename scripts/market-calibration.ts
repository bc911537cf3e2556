/**
 * `npm run market-calibration -- [--real ../shared/data/btc_usd_1h.csv] [--check]`
 *
 * Rewrites the computed blocks of docs/market.md (the calibration table against real BTC years, its summary,
 * the rules out of sample, the whole-series statistics) from the committed fixture
 * data/btc-usd-1h-calibration.json and the embedded market. `--real CSV` first recomputes that fixture from a
 * real hourly BTC file (research only: no test needs it). `--check` writes nothing and exits 1 when the doc
 * differs from what the code computes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { REAL_MARKET_FIXTURE_PATH, realMarketFixture } from "../src/data/calibration.js";
import { readCandlesCsv } from "../src/data/csv.js";
import { marketDocBlocks } from "../src/report/market-doc.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { readGeneratedBlock, replaceGeneratedBlock } from "../src/util/generated-block.js";

const DOC = fileURLToPath(new URL("../docs/market.md", import.meta.url));

const flags = z
  .object({
    /** Real hourly BTC candles to recompute the fixture from. */
    real: z.string().min(1).optional(),
    /** Compare instead of writing. */
    check: z.boolean().default(false),
  })
  .strict()
  .parse(parseArgs({ options: { real: { type: "string" }, check: { type: "boolean" } }, strict: true }).values);

if (flags.real !== undefined) {
  const { candles, report } = readCandlesCsv(flags.real, { symbol: "BTC/USD", timeframe: "1h" });
  const source = flags.real.replace(/^.*\/shared\//, "../shared/");
  const fixture = realMarketFixture(candles, source, report.sha256, "npm run market-calibration -- --real ../shared/data/btc_usd_1h.csv");
  writeFileAtomic(REAL_MARKET_FIXTURE_PATH, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`wrote ${REAL_MARKET_FIXTURE_PATH} (${fixture.years.length} years from ${source}, sha256 ${report.sha256.slice(0, 12)}…)`);
}

const started = performance.now();
const blocks = marketDocBlocks();
let doc = readFileSync(DOC, "utf8");
const stale: string[] = [];
for (const [name, content] of Object.entries(blocks)) {
  if (readGeneratedBlock(doc, name) !== content) stale.push(name);
  doc = replaceGeneratedBlock(doc, name, content);
}
console.log(`computed ${Object.keys(blocks).length} blocks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (flags.check) {
  if (stale.length > 0) {
    console.error(`docs/market.md is out of date in ${stale.join(", ")}: run npm run market-calibration`);
    process.exit(1);
  }
  console.log("docs/market.md matches the computation");
} else if (stale.length === 0) {
  console.log("docs/market.md already up to date");
} else {
  writeFileAtomic(DOC, doc);
  console.log(`rewrote ${stale.join(", ")} in docs/market.md`);
}
