import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CALIBRATION_ROWS, GENERATOR_SEEDS, generatorYears, insideShare, leaveOneOut, quantile, readRealMarketFixture, realRanges } from "../data/calibration.js";
import { EMBEDDED_MARKET_PATH } from "../data/embedded.js";
import { DEFAULT_MARKET_SEED } from "../data/synthetic.js";
import { generatedBlockNames, readGeneratedBlock } from "../util/generated-block.js";
import { marketDocBlocks, regimeShares } from "./market-doc.js";

const DOC = fileURLToPath(new URL("../../docs/market.md", import.meta.url));

// The generator's years over the docs' seeds: computed once (a few seconds) for the claim and for the doc.
const generator = generatorYears(GENERATOR_SEEDS);

describe("the calibration claim", () => {
  it("the generator's median year is inside the real range on every row, and its years are as typical as real ones", () => {
    const fixture = readRealMarketFixture();
    const ranges = realRanges(fixture.years);
    const outside = CALIBRATION_ROWS.filter((r) => {
      const m = quantile(generator.map((y) => y[r.key]!), 0.5);
      return !(m >= ranges[r.key]!.lo && m <= ranges[r.key]!.hi);
    });
    expect(outside.map((r) => r.label)).toEqual([]);
    // A real year is inside the other real years' range on about 60 % of the rows (the yardstick).
    const loo = leaveOneOut(fixture.years);
    const realInside = 1 - loo.reduce((s, l) => s + l.outside.length, 0) / (loo.length * CALIBRATION_ROWS.length);
    expect(insideShare(generator, ranges)).toBeGreaterThanOrEqual(realInside);
  });
});

describe("docs/market.md", () => {
  it("holds exactly the figures the code computes (npm run market-calibration rewrites them)", () => {
    const doc = readFileSync(DOC, "utf8");
    const blocks = marketDocBlocks({ generator: generator });
    expect(generatedBlockNames(doc).sort()).toEqual(Object.keys(blocks).sort());
    for (const [name, content] of Object.entries(blocks)) {
      // On failure: run `npm run market-calibration` and review the diff of docs/market.md.
      expect(readGeneratedBlock(doc, name), `block ${name}`).toBe(content);
    }
  });

  it("data/README.md names the committed file's size and sha256", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../data/README.md", import.meta.url)), "utf8");
    const csv = readFileSync(EMBEDDED_MARKET_PATH);
    expect(readme).toContain(createHash("sha256").update(csv).digest("hex"));
    expect(readme).toContain(`${csv.length.toLocaleString("en-US")} bytes`);
    expect(readme).toContain(`seed ${DEFAULT_MARKET_SEED}`);
  });

  it("regime shares are the chain's stationary distribution (hand-worked two-regime case)", () => {
    // calm ↔ bull only (bear never entered): stays of 100 h and 300 h alternate, so the shares are 1/4 and 3/4.
    const s = regimeShares({
      initialRegime: "calm",
      regimes: { calm: { meanHours: 100, next: { bull: 1, bear: 0 } }, bull: { meanHours: 300, next: { calm: 1, bear: 0 } }, bear: { meanHours: 50, next: { calm: 1 } } },
    });
    expect(s.calm).toBeCloseTo(0.25, 6);
    expect(s.bull).toBeCloseTo(0.75, 6);
    expect(s.bear).toBeCloseTo(0, 6);
  });
});
