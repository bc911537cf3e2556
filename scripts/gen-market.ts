/**
 * `npm run gen:market -- [--seed N] [--hours N] [--out file.csv] [--check]`
 *
 * Regenerates the embedded synthetic market. With no flags it rewrites data/synthetic-btc-1h.csv byte for byte
 * (default config, DEFAULT_MARKET_SEED); `--check` writes nothing and exits 1 when the file differs from what
 * the recipe produces.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { formatCandlesCsv, writeCandlesCsv } from "../src/data/csv.js";
import { EMBEDDED_MARKET_PATH } from "../src/data/embedded.js";
import { DEFAULT_MARKET_SEED, generateSyntheticMarket, resolveSyntheticMarketConfig } from "../src/data/synthetic.js";

const flagsSchema = z
  .object({
    /** Rng seed of the series. */
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(DEFAULT_MARKET_SEED),
    /** Number of hourly bars. */
    hours: z.coerce.number().int().min(2).optional(),
    /** Output CSV (default: the committed embedded market). */
    out: z.string().min(1).default(EMBEDDED_MARKET_PATH),
    /** Compare with the file instead of writing it. */
    check: z.boolean().default(false),
  })
  .strict();

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    hours: { type: "string" },
    out: { type: "string" },
    check: { type: "boolean" },
  },
  strict: true,
});
const flags = flagsSchema.parse(values);
const input = flags.hours === undefined ? {} : { hours: flags.hours };
const config = resolveSyntheticMarketConfig(input);
const started = performance.now();
const candles = generateSyntheticMarket(input, flags.seed);
const text = formatCandlesCsv(candles);
const sha256 = createHash("sha256").update(text).digest("hex");

console.log(`synthetic market: ${candles.length} hourly bars from ${new Date(candles.timestamp[0]!).toISOString()}, seed ${flags.seed}`);
console.log(`config: ${JSON.stringify(config)}`);
console.log(`sha256 ${sha256}, ${(text.length / 1e6).toFixed(2)} MB, ${(performance.now() - started).toFixed(0)} ms`);

if (flags.check) {
  let current = "";
  try {
    current = readFileSync(flags.out, "utf8");
  } catch {
    console.error(`${flags.out}: cannot be read`);
    process.exit(1);
  }
  const currentSha = createHash("sha256").update(current).digest("hex");
  if (currentSha !== sha256) {
    console.error(`${flags.out} differs from its recipe (sha256 ${currentSha}); run npm run gen:market to rewrite it`);
    process.exit(1);
  }
  console.log(`${flags.out} matches its recipe`);
} else {
  writeCandlesCsv(flags.out, candles);
  console.log(`wrote ${flags.out}`);
}
