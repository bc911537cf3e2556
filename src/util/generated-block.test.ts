import { describe, expect, it } from "vitest";
import { generatedBlockNames, readGeneratedBlock, replaceGeneratedBlock } from "./generated-block.js";

const doc = "# Title\n\ntext\n<!-- generated:table -->\n| a |\n<!-- /generated:table -->\nafter\n";

describe("generated blocks", () => {
  it("reads and replaces a block, leaving the rest untouched", () => {
    expect(readGeneratedBlock(doc, "table")).toBe("| a |");
    const next = replaceGeneratedBlock(doc, "table", "| b |\n| c |\n");
    expect(next).toBe("# Title\n\ntext\n<!-- generated:table -->\n| b |\n| c |\n<!-- /generated:table -->\nafter\n");
    expect(readGeneratedBlock(next, "table")).toBe("| b |\n| c |");
    // Replacing with the same content is the identity.
    expect(replaceGeneratedBlock(doc, "table", "| a |")).toBe(doc);
    expect(generatedBlockNames(next)).toEqual(["table"]);
  });

  it("names a missing, misordered or repeated block", () => {
    expect(() => readGeneratedBlock(doc, "other")).toThrow(/no block "other"/);
    expect(() => readGeneratedBlock("<!-- /generated:x -->\n<!-- generated:x -->", "x")).toThrow(/in this order/);
    expect(() => readGeneratedBlock(`${doc}${doc}`, "table")).toThrow(/more than once/);
  });
});
