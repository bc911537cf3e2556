import { describe, expect, it } from "vitest";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { Send } from "@langchain/langgraph";
import { FastJsonSerializer, isPlainJson } from "./fast-serde.js";

// The reference is LangGraph's own serializer: the fast paths must give its bytes and its values.
const ref = new JsonPlusSerializer();
const fast = new FastJsonSerializer();
const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
let deep: unknown = 1;
for (let i = 0; i < 100; i++) deep = [deep];

const VALUES: Array<[string, unknown, boolean]> = [
  ["a number", 1.5, true],
  ["null", null, true],
  ["a string with quotes and an lc key inside", 'say "lc": 1', true],
  ["NaN and -0 (both become JSON numbers the same way)", { a: Number.NaN, b: -0, c: Infinity }, true],
  ["a cycle state", { memory: { price: [1, 2, 3], value: [null, 2] }, facts: { volRegime: "high" }, phases: [{ phase: "input", note: "ok" }] }, true],
  ["an object with a null prototype", Object.assign(Object.create(null) as object, { x: 1 }), true],
  ["an object key that is lc", { lc: 3, type: "x" }, true],
  ["an undefined property (tagged by the replacer)", { a: undefined, b: 1 }, false],
  ["undefined in an array", [1, undefined, 2], false],
  ["a Set and a Map", { s: new Set([1, 2]), m: new Map([["k", 1]]) }, false],
  ["a Uint8Array inside", { bytes: new Uint8Array([1, 2, 255]) }, false],
  ["a Date (toJSON)", { at: new Date(Date.UTC(2024, 0, 1)) }, false],
  ["an Error", { e: new Error("boom") }, false],
  ["a Send", [new Send("node", { x: 1 })], false],
  ["a class instance", { c: new (class P { x = 1 })() }, false],
  ["a cycle", circular, false],
  ["nesting deeper than the check", deep, false],
];

describe("FastJsonSerializer: LangGraph's serializer with a native path for plain JSON", () => {
  it.each(VALUES)("%s: same type and bytes as JsonPlusSerializer; each reads the other's", async (_name, value, plain) => {
    expect(isPlainJson(value)).toBe(plain);
    const [t1, b1] = await ref.dumpsTyped(value);
    const [t2, b2] = await fast.dumpsTyped(value);
    expect(t2).toBe(t1);
    expect(Buffer.from(b2).toString("utf8")).toBe(Buffer.from(b1).toString("utf8"));
    const [viaRef, viaFast] = [await ref.loadsTyped(t1, b1), await fast.loadsTyped(t1, b1)];
    expect(viaFast).toStrictEqual(viaRef);
    expect(await ref.loadsTyped(t2, b2)).toStrictEqual(await fast.loadsTyped(t2, b2));
  });

  it("bytes pass through as bytes", async () => {
    const b = new Uint8Array([0, 1, 2]);
    expect(await fast.dumpsTyped(b)).toEqual(["bytes", b]);
    expect(await fast.loadsTyped("bytes", b)).toBe(b);
  });
});
