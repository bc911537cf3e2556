/**
 * A coach decision trace (src/coach/cycle.ts DecisionTrace) as the dashboard shows it. Traces are diagnostic
 * JSON with no strict schema on the bus, so this reads them defensively: every field is checked for its type,
 * text is clipped, and anything that is not the expected shape becomes null or is left out. The page renders
 * the result as text, never as HTML.
 */

export interface OperatorView {
  readonly rule: string;
  readonly source: string;
  readonly guidance: string;
  readonly value: number | null;
  readonly preference: number | null;
}

export interface TraceView {
  readonly cycle: number;
  readonly stateSeq: number | null;
  readonly ts: number;
  readonly receivedAt: number;
  readonly input: string;
  readonly inputError: string | null;
  /** The facts the elaborate phase derived (primitive values only). */
  readonly facts: Readonly<Record<string, string | number | boolean | null>>;
  readonly proposed: readonly OperatorView[];
  readonly rejections: ReadonlyArray<{ readonly rule: string; readonly kind: string }>;
  readonly candidates: readonly OperatorView[];
  readonly decision: string;
  readonly resolution: { readonly by: string; readonly ok: boolean; readonly reason: string; readonly error: string | null } | null;
  readonly chosen: OperatorView | null;
  readonly output: string;
  readonly guidance: { readonly kind: string; readonly value: number; readonly version: number | null; readonly expiresAt: number | null } | null;
  readonly why: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown, max = 200): string | null => (typeof v === "string" ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function operator(v: unknown): OperatorView | null {
  if (!isObj(v)) return null;
  const rule = text(v["rule"], 128);
  const guidance = text(v["guidance"], 32);
  if (rule === null || guidance === null) return null;
  return { rule, source: text(v["source"], 16) ?? "?", guidance, value: num(v["value"]), preference: num(v["preference"]) };
}

function operators(v: unknown, max = 32): OperatorView[] {
  if (!Array.isArray(v)) return [];
  const out: OperatorView[] = [];
  for (const o of v.slice(0, max)) {
    const op = operator(o);
    if (op !== null) out.push(op);
  }
  return out;
}

/** The trace, or null when `raw` (JSON text or a value) is not one. */
export function readTrace(raw: unknown, receivedAt: number): TraceView | null {
  let v: unknown = raw;
  if (typeof raw === "string") {
    if (raw.length > 256 * 1024) return null;
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!isObj(v)) return null;
  const cycle = num(v["cycle"]);
  const decision = text(v["decision"], 32);
  if (cycle === null || decision === null) return null;
  const facts: Record<string, string | number | boolean | null> = {};
  if (isObj(v["facts"])) {
    for (const [k, f] of Object.entries(v["facts"]).slice(0, 64)) {
      if (typeof f === "number") facts[k.slice(0, 64)] = Number.isFinite(f) ? f : null;
      else if (typeof f === "boolean" || f === null) facts[k.slice(0, 64)] = f;
      else if (typeof f === "string") facts[k.slice(0, 64)] = f.slice(0, 64);
    }
  }
  const rejections: Array<{ rule: string; kind: string }> = [];
  if (Array.isArray(v["rejections"])) {
    for (const r of v["rejections"].slice(0, 32)) {
      if (isObj(r) && typeof r["rule"] === "string" && typeof r["kind"] === "string") rejections.push({ rule: r["rule"].slice(0, 128), kind: r["kind"].slice(0, 32) });
    }
  }
  const res = v["resolution"];
  const resolution = isObj(res) ? { by: text(res["by"], 16) ?? "?", ok: res["ok"] === true, reason: text(res["reason"], 500) ?? "", error: text(res["error"], 300) } : null;
  const g = v["guidance"];
  const guidance = isObj(g) && typeof g["guidance"] === "string" && num(g["value"]) !== null ? { kind: g["guidance"].slice(0, 32), value: num(g["value"])!, version: num(g["version"]), expiresAt: num(g["expiresAt"]) } : null;
  return {
    cycle,
    stateSeq: num(v["stateSeq"]),
    ts: num(v["ts"]) ?? receivedAt,
    receivedAt,
    input: text(v["input"], 16) ?? "?",
    inputError: text(v["inputError"], 300),
    facts,
    proposed: operators(v["proposed"]),
    rejections,
    candidates: operators(v["candidates"]),
    decision,
    resolution,
    chosen: operator(v["chosen"]),
    output: text(v["output"], 16) ?? "?",
    guidance,
    why: text(v["why"], 500) ?? "",
  };
}
