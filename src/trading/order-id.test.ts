import { describe, expect, it } from "vitest";
import { clientOrderId, clientOrderPrefix, decisionId, isOurOrder, parseClientOrderId, runTag } from "./order-id.js";

describe("decision and client order ids (R1, R6)", () => {
  it("derives the same ids from the same run and bar, and parses them back", () => {
    const tag = runTag("run-1");
    expect(tag).toMatch(/^[0-9a-z]{6}$/);
    expect(runTag("run-1")).toBe(tag);
    expect(runTag("run-2")).not.toBe(tag);
    const bar = Date.UTC(2024, 2, 1, 13, 5);
    const d = decisionId(tag, bar);
    expect(decisionId(tag, bar)).toBe(d);
    const id = clientOrderId(d);
    // Binance's newClientOrderId rule: ^[.A-Z:/a-z0-9_-]{1,36}$.
    expect(id).toMatch(/^[.A-Z:/a-z0-9_-]{1,36}$/);
    expect(id.startsWith(clientOrderPrefix(tag))).toBe(true);
    expect(parseClientOrderId(id)).toEqual({ tag, barTs: bar, leg: "0", decisionId: d });
    expect(parseClientOrderId(clientOrderId(d, "x"))?.leg).toBe("x");
    // Hand-worked: 2024-03-01T13:05Z = 1709298300 s = "s9o70c" in base 36 (worked in Python).
    expect((1709298300).toString(36)).toBe("s9o70c");
    expect(d).toBe(`drl${tag}-s9o70c`);
  });

  it("tells our orders from other bots' and manual ones", () => {
    const tag = runTag("a");
    const ours = clientOrderId(decisionId(tag, 3_600_000));
    expect(isOurOrder(ours, tag)).toBe(true);
    expect(isOurOrder(ours, runTag("b"))).toBe(false);
    for (const other of ["x-TKT5PX2Fabcdef", "web_12345", "", "drl12345-1-0", `drl${tag}-zz-1`, null, undefined]) expect(isOurOrder(other, tag)).toBe(false);
  });

  it("refuses bar times that are not whole seconds", () => {
    expect(() => decisionId("abcdef", 1500)).toThrow(RangeError);
    expect(() => decisionId("abcdef", -1000)).toThrow(RangeError);
  });
});
