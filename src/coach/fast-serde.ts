/**
 * LangGraph's checkpoint serializer with a fast path for plain JSON. `JsonPlusSerializer` writes every value
 * through fast-safe-stringify with a replacer called on every node of the tree (undefined, Set, Map, RegExp,
 * Error, Uint8Array, Send become tagged `lc: 2` records) and reads it back through an async reviver that awaits every
 * array element and copies every object: for the coach's checkpoints (plain JSON, a working memory of a few hundred
 * numbers) that was a quarter of a decision's CPU time (docs/coach.md, "Benchmarks").
 *
 * The fast paths give the same bytes and the same values as `JsonPlusSerializer`, and fall back to it otherwise:
 *   write  a value made only of null, booleans, numbers, strings, arrays and plain objects, with no undefined
 *          anywhere (the replacer tags it; native JSON drops it), is written by the native `JSON.stringify`;
 *   read   a text in which no `"lc"` occurs has no tagged record to revive: the native `JSON.parse` is the result.
 * Checkpoints written by either serializer are read by either (fast-serde.test.ts checks both ways on a table).
 */
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";

/** Nesting at which the check gives up (the slow path handles anything, cycles included). */
const MAX_DEPTH = 64;

/** True when native JSON.stringify writes `v` exactly as JsonPlusSerializer does. */
export function isPlainJson(v: unknown, depth = 0): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "string":
    case "boolean":
    case "number":
      return true;
    case "object": {
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!isPlainJson(v[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      // toJSON (called before the replacer) and the keys LangGraph's records use are left to the slow path.
      const o = v as Record<string, unknown>;
      if ("toJSON" in o || "lg_name" in o) return false;
      for (const k in o) if (!isPlainJson(o[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FastJsonSerializer extends JsonPlusSerializer {
  override async dumpsTyped(obj: unknown): Promise<[string, Uint8Array]> {
    if (isPlainJson(obj)) return ["json", encoder.encode(JSON.stringify(obj))];
    return super.dumpsTyped(obj);
  }

  override async loadsTyped(type: string, data: Uint8Array | string): Promise<unknown> {
    if (type === "json") {
      const text = typeof data === "string" ? data : decoder.decode(data);
      if (!text.includes('"lc"')) return JSON.parse(text) as unknown;
      return super.loadsTyped(type, text);
    }
    return super.loadsTyped(type, data);
  }
}

/** One shared instance (it holds no state). */
export const fastJsonSerializer = new FastJsonSerializer();
