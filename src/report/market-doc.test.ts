import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMBEDDED_MARKET_PATH } from "../data/embedded.js";
import { DEFAULT_MARKET_SEED } from "../data/synthetic.js";
import { generatedBlockNames, readGeneratedBlock } from "../util/generated-block.js";
import { marketDocBlocks, regimeShares } from "./market-doc.js";

const DOC = fileURLToPath(new URL("../../docs/market.md", import.meta.url));

describe("docs/market.md", () => {
  it("holds exactly the figures the code computes (npm run market-calibration rewrites them)", () => {
    const doc = readFileSync(DOC, "utf8");
    const blocks = marketDocBlocks();
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
