/**
 * `npm run gen:market`: regenerates the embedded synthetic market. With no flags it rewrites
 * data/synthetic-btc-1h.csv byte for byte (default config, DEFAULT_MARKET_SEED); `--check` writes nothing and
 * exits 1 when the file differs from what the recipe produces. `--help` lists every flag.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand, flag, forceFlag, runCommand } from "../src/cli/index.js";
import { formatCandlesCsv } from "../src/data/csv.js";
import { EMBEDDED_MARKET_PATH } from "../src/data/embedded.js";
import { DEFAULT_MARKET_SEED, generateSyntheticMarket, resolveSyntheticMarketConfig } from "../src/data/synthetic.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { CANDLE_CSV_OUTPUT, claimOutput } from "../src/util/safe-output.js";

export const genMarketCommand = defineCommand({
  name: "npm run gen:market",
  summary: "Regenerate the embedded synthetic market (data/synthetic-btc-1h.csv) byte for byte, or check it.",
  description: "Writing to another --out that exists needs --force, and only ever replaces a candle CSV. See docs/market.md.",
  flags: {
    seed: flag.int("rng seed of the series", { min: 0, max: 0xffffffff, default: DEFAULT_MARKET_SEED }),
    hours: flag.int("number of hourly bars", { min: 2, unset: "the recipe's" }),
    out: flag.path("output CSV", { placeholder: "FILE", unset: "data/synthetic-btc-1h.csv (the embedded market)" }),
    check: flag.switch("compare with --out instead of writing it (exit 1 when it differs)"),
    force: forceFlag(),
  },
  examples: ["npm run gen:market", "npm run gen:market -- --check", "npm run gen:market -- --seed 7 --hours 2000 --out data/synth-7.csv"],
  run(flags, ctx) {
    const f = { ...flags, out: flags.out ?? EMBEDDED_MARKET_PATH };
    const input = f.hours === undefined ? {} : { hours: f.hours };
    const config = resolveSyntheticMarketConfig(input);
    const started = performance.now();
    const candles = generateSyntheticMarket(input, f.seed);
    const text = formatCandlesCsv(candles);
    const sha256 = createHash("sha256").update(text).digest("hex");
    ctx.log(`synthetic market: ${candles.length} hourly bars from ${new Date(candles.timestamp[0]!).toISOString()}, seed ${f.seed}`);
    ctx.log(`config: ${JSON.stringify(config)}`);
    ctx.log(`sha256 ${sha256}, ${(text.length / 1e6).toFixed(2)} MB, ${(performance.now() - started).toFixed(0)} ms`);
    if (f.check) {
      let current: string;
      try {
        current = readFileSync(f.out, "utf8");
      } catch (err) {
        ctx.warn(`npm run gen:market: unreadable at --out: ${f.out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        return 1;
      }
      const currentSha = createHash("sha256").update(current).digest("hex");
      if (currentSha !== sha256) {
        ctx.warn(`npm run gen:market: differs at --out: ${f.out} differs from its recipe (sha256 ${currentSha}); run npm run gen:market to rewrite it`);
        return 1;
      }
      ctx.log(`${f.out} matches its recipe`);
      return;
    }
    // Rewriting the committed embedded market is this command's purpose; any other existing file needs --force.
    const out = claimOutput(f.out, { kind: CANDLE_CSV_OUTPUT, force: f.force, field: "out", replaces: resolve(EMBEDDED_MARKET_PATH) });
    try {
      if (out.replacing !== null && resolve(f.out) !== resolve(EMBEDDED_MARKET_PATH)) ctx.log(`replacing ${f.out}: ${out.replacing}`);
      writeFileAtomic(f.out, text);
    } finally {
      out.release();
    }
    ctx.log(`wrote ${f.out}`);
  },
});

await runCommand(genMarketCommand);
