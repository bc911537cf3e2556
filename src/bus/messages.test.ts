import { describe, expect, it } from "vitest";
import {
  describeRejection,
  EXAMPLES,
  GUIDANCE_BOUNDS,
  MAX_MESSAGE_BYTES,
  parseGuidance,
  parseHeartbeat,
  parsePpoState,
  type MessageRejectionCode,
} from "./messages.js";

const g = EXAMPLES.guidance;
const withG = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...g, ...patch });
const without = (obj: Record<string, unknown>, key: string): Record<string, unknown> => {
  const o = { ...obj };
  delete o[key];
  return o;
};

describe("messages: examples and the seed's minimal forms", () => {
  it("parses every documented example", () => {
    expect(parsePpoState(JSON.stringify(EXAMPLES.ppoState)).ok).toBe(true);
    expect(parseGuidance(JSON.stringify(EXAMPLES.guidance)).ok).toBe(true);
    expect(parseHeartbeat(JSON.stringify(EXAMPLES.heartbeat)).ok).toBe(true);
  });

  it("accepts the seed's ppo_state and leaves the missing fields unknown", () => {
    const r = parsePpoState('{"action":"buy","amount":0.1,"price":50000,"reward":15}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toEqual({ form: "seed", action: "buy", amount: 0.1, price: 50000, reward: 15 });
    expect("seq" in r.message).toBe(false);
  });

  it("accepts the seed's guidance", () => {
    const r = parseGuidance('{"guidance":"adjust_risk","value":0.8}');
    expect(r.ok && r.message).toEqual({ form: "seed", guidance: "adjust_risk", value: 0.8 });
  });

  it("a v1 state needs seq, ts, price and action only", () => {
    const r = parsePpoState({ schemaVersion: 1, seq: 0, ts: 1_700_000_000_000, price: 1, action: "hold" });
    expect(r.ok).toBe(true);
    const missing = parsePpoState({ schemaVersion: 1, ts: 1_700_000_000_000, price: 1, action: "hold" });
    expect(!missing.ok && missing.rejection.field).toBe("seq");
  });
});

// R16: every bad input is rejected by the strict schema with the field and the value named.
describe("R16 bad guidance input is rejected, naming the field and value", () => {
  const now = g.issuedAt;
  const cases: Array<{ name: string; raw: unknown; code: MessageRejectionCode; field: string; value?: string }> = [
    { name: "malformed JSON", raw: '{"guidance": "adjust_risk", value: 0.8', code: "malformed_json", field: "" },
    { name: "a non-object (array)", raw: "[1,2]", code: "not_an_object", field: "" },
    { name: "a non-object (string)", raw: '"adjust_risk"', code: "not_an_object", field: "" },
    { name: "null", raw: "null", code: "not_an_object", field: "" },
    { name: "a missing field", raw: JSON.stringify(without(g, "version")), code: "invalid_field", field: "version", value: "undefined" },
    { name: "a wrong type", raw: JSON.stringify(withG({ value: "0.5" })), code: "invalid_field", field: "value", value: '"0.5"' },
    { name: "risk adjustment 50", raw: JSON.stringify(withG({ value: 50 })), code: "invalid_field", field: "value", value: "50" },
    { name: "size -1", raw: JSON.stringify(withG({ guidance: "size", value: -1 })), code: "invalid_field", field: "value", value: "-1" },
    { name: "timing 2.5 ticks", raw: JSON.stringify(withG({ guidance: "timing", value: 2.5 })), code: "invalid_field", field: "value", value: "2.5" },
    { name: "NaN (not JSON)", raw: '{"guidance":"size","value":NaN}', code: "malformed_json", field: "" },
    { name: '"Infinity" as a string', raw: JSON.stringify(withG({ value: "Infinity" })), code: "invalid_field", field: "value" },
    { name: "1e999 (parses to Infinity)", raw: JSON.stringify(g).replace('"value":0.5', '"value":1e999'), code: "invalid_field", field: "value", value: "Infinity" },
    { name: "an unknown extra key", raw: JSON.stringify(withG({ leverage: 10 })), code: "invalid_field", field: "leverage", value: "10" },
    { name: "an unknown kind", raw: JSON.stringify(withG({ guidance: "leverage" })), code: "invalid_field", field: "guidance", value: '"leverage"' },
    { name: "the wrong schemaVersion", raw: JSON.stringify(withG({ schemaVersion: 2 })), code: "unsupported_schema_version", field: "schemaVersion", value: "2" },
    { name: "expiry before issue", raw: JSON.stringify(withG({ expiresAt: now - 1 })), code: "invalid_field", field: "expiresAt" },
    { name: "a 1 MB payload", raw: JSON.stringify(withG({ reason: "x".repeat(1 << 20) })), code: "too_large", field: "" },
    { name: "a seed form with an extra key", raw: '{"guidance":"adjust_risk","value":0.8,"x":1}', code: "invalid_field", field: "x" },
    { name: "a seed form out of range", raw: '{"guidance":"adjust_risk","value":1.5}', code: "invalid_field", field: "value", value: "1.5" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseGuidance(c.raw);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.rejection.code).toBe(c.code);
      expect(r.rejection.field).toBe(c.field);
      if (c.value !== undefined) expect(r.rejection.value).toBe(c.value);
      expect(describeRejection(r.rejection)).toContain("coach_guidance rejected: " + c.code);
    });
  }

  it("the oversize check happens before parsing (the limit is exact)", () => {
    const pad = MAX_MESSAGE_BYTES - JSON.stringify(withG({ reason: "" })).length;
    expect(parseGuidance(JSON.stringify(withG({ reason: "" }))).ok).toBe(true);
    const r = parseGuidance(JSON.stringify(withG({ reason: "" })).padEnd(MAX_MESSAGE_BYTES + 1, " "));
    expect(!r.ok && r.rejection.code).toBe("too_large");
    expect(pad).toBeGreaterThan(0);
  });

  it("bounds are the documented ones, inclusive", () => {
    for (const [kind, b] of Object.entries(GUIDANCE_BOUNDS)) {
      expect(parseGuidance(withG({ guidance: kind, value: b.min })).ok).toBe(true);
      expect(parseGuidance(withG({ guidance: kind, value: b.max })).ok).toBe(true);
      expect(parseGuidance(withG({ guidance: kind, value: b.max + 1 })).ok).toBe(false);
      expect(parseGuidance(withG({ guidance: kind, value: b.min - 1 })).ok).toBe(false);
    }
  });
});

describe("ppo_state rejections", () => {
  it("names the nested field", () => {
    const r = parsePpoState({ ...EXAMPLES.ppoState, portfolio: { cash: -1, coins: 0, value: 1 } });
    expect(!r.ok && r.rejection.field).toBe("portfolio.cash");
  });
  it("refuses unknown keys, wrong actions and non-positive prices", () => {
    expect(parsePpoState({ ...EXAMPLES.ppoState, apiKey: "x" }).ok).toBe(false);
    expect(parsePpoState({ ...EXAMPLES.ppoStateSeed, action: "short" }).ok).toBe(false);
    const r = parsePpoState({ ...EXAMPLES.ppoStateSeed, price: 0 });
    expect(!r.ok && r.rejection.field).toBe("price");
  });
});
