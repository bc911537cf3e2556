/**
 * Production rules as data: a JSON file a researcher edits (default: src/coach/default-rules.json), validated at
 * load with errors that name the file, the rule and the field. Chunks (rules learnt from a resolved impasse) live in
 * a second file of the same form that the coach itself writes.
 *
 * A rule's `when` is a conjunction of conditions on working-memory facts (src/coach/working-memory.ts); a
 * condition on an unknown (null) fact does not match. A rule either proposes an operator (a guidance, or "none":
 * an explicit "no change") with a numeric preference, or rejects every operator of a kind (SOAR's reject
 * preference), e.g. "never cut the size while flat".
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { GUIDANCE_BOUNDS, GUIDANCE_KINDS, type GuidanceKind } from "../bus/messages.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { CoachError } from "./errors.js";
import { FACT_NAMES, FACTS, type FactName, type Facts, type MemorySettings } from "./working-memory.js";

export const OPS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type Op = (typeof OPS)[number];
export const OPERATOR_KINDS = [...GUIDANCE_KINDS, "none"] as const;
export type OperatorKind = (typeof OPERATOR_KINDS)[number];

const conditionSchema = z.strictObject({
  /** A fact name (working-memory.ts FACTS). */
  fact: z.string(),
  op: z.enum(OPS),
  value: z.union([z.number().refine(Number.isFinite, "expected a finite number"), z.string(), z.boolean()]),
});
export type Condition = z.output<typeof conditionSchema>;

const proposeSchema = z.strictObject({
  guidance: z.enum(OPERATOR_KINDS),
  /** Required for adjust_risk, timing, size; absent for none. */
  value: z.number().optional(),
});

const ruleSchema = z.strictObject({
  /** Unique, [a-z0-9._-]. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected 1–64 characters of [a-z0-9._-], starting with a letter or digit"),
  /** What the rule is for, in words (shown in traces). */
  doc: z.string().max(500).default(""),
  /** All must hold (an empty list always matches). */
  when: z.array(conditionSchema).max(16).default([]),
  propose: proposeSchema.optional(),
  /** Reject every operator of this kind ("any": all of them) when the rule matches. */
  reject: z.enum([...GUIDANCE_KINDS, "any"]).optional(),
  /** Higher wins; ties between different proposals are an impasse. */
  preference: z.number().refine(Number.isFinite, "expected a finite number").default(0),
  /** How many trader ticks the guidance lasts (default: settings.ttlTicks). */
  ttlTicks: z.number().int().min(1).max(168).optional(),
  /** Set on chunks: when and why the coach learnt it. */
  learned: z.strictObject({ at: z.string(), impasse: z.enum(["tie", "no_candidate"]), by: z.string() }).optional(),
});
export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;

const settingsSchema = z.strictObject({
  window: z.number().int().min(2).max(10_000).default(168),
  shortWindow: z.number().int().min(2).max(10_000).default(24),
  volRegime: z.strictObject({ low: z.number().min(0).default(0.75), high: z.number().min(0).default(1.5) }).prefault({}),
  staleIntervals: z.number().min(0).default(2),
  defaultIntervalMs: z.number().int().min(1_000).default(3_600_000),
  /** Guidance lifetime in trader ticks when the rule does not say. */
  ttlTicks: z.number().int().min(1).max(168).default(6),
  /**
   * Re-publish an unchanged guidance once it is this many ticks old (or about to expire). Keep it below the
   * trader's maxAgeMs in ticks (default 3): the trader drops guidance older than that, so a silent coach (or bus)
   * falls back to neutral while a live one keeps its guidance fresh.
   */
  refreshTicks: z.number().int().min(1).max(168).default(2),
  /** An impasse without an LLM (or when it fails): "first" = the first tied operator in file order, "none" = no change. */
  onTie: z.enum(["first", "none"]).default("first"),
});
export type CoachSettings = z.output<typeof settingsSchema> & MemorySettings;

export const rulesFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  doc: z.string().optional(),
  settings: settingsSchema.prefault({}),
  rules: z.array(ruleSchema).max(1000),
});
export type RulesFile = z.output<typeof rulesFileSchema>;

export const chunksFileSchema = z.strictObject({ schemaVersion: z.literal(1), chunks: z.array(ruleSchema).max(10_000) });

/** Loaded rules: the researcher's, then the chunks, each tagged with where it came from. */
export interface RuleSet {
  readonly settings: CoachSettings;
  readonly rules: readonly Rule[];
  readonly chunks: Rule[];
  readonly file: string;
  readonly chunksFile: string | null;
}

function placeOf(raw: unknown, path: readonly PropertyKey[], listKey: "rules" | "chunks"): { rule: string | null; field: string } {
  if (path[0] !== listKey || typeof path[1] !== "number") return { rule: null, field: path.map(String).join(".") };
  const list = (raw as Record<string, unknown> | null)?.[listKey];
  const item = Array.isArray(list) ? (list[path[1]] as Record<string, unknown> | undefined) : undefined;
  const id = typeof item?.id === "string" ? `"${item.id}"` : `#${path[1]}`;
  const rest = path.slice(2).reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc === "" ? String(k) : `${acc}.${String(k)}`), "");
  return { rule: `${listKey}[${path[1]}] (id ${id})`, field: rest };
}

/** The checks zod cannot express: fact names and types, value bounds, one of propose/reject, unique ids. */
function semanticIssues(rules: readonly Rule[]): Array<{ index: number; field: string; message: string }> {
  const out: Array<{ index: number; field: string; message: string }> = [];
  const seen = new Map<string, number>();
  rules.forEach((r, index) => {
    if (seen.has(r.id)) out.push({ index, field: "id", message: `duplicate id (also rules[${seen.get(r.id)}])` });
    seen.set(r.id, index);
    if ((r.propose === undefined) === (r.reject === undefined)) out.push({ index, field: "propose", message: "expected exactly one of propose or reject" });
    r.when.forEach((c, k) => {
      const fact = FACTS[c.fact as FactName];
      if (fact === undefined) {
        out.push({ index, field: `when[${k}].fact`, message: `unknown fact "${c.fact}"; expected one of ${FACT_NAMES.join(", ")}` });
        return;
      }
      const t = typeof c.value;
      if (fact.kind === "number" && t !== "number") out.push({ index, field: `when[${k}].value`, message: `fact ${c.fact} is a number, got ${JSON.stringify(c.value)}` });
      if (fact.kind === "boolean" && (t !== "boolean" || (c.op !== "==" && c.op !== "!="))) {
        out.push({ index, field: `when[${k}]`, message: `fact ${c.fact} is a boolean: expected == or != with true or false` });
      }
      if (fact.kind === "enum") {
        if (c.op !== "==" && c.op !== "!=") out.push({ index, field: `when[${k}].op`, message: `fact ${c.fact} is one of ${fact.values.join("|")}: expected == or !=` });
        else if (typeof c.value !== "string" || !fact.values.includes(c.value)) {
          out.push({ index, field: `when[${k}].value`, message: `expected one of ${fact.values.join(", ")} for ${c.fact}, got ${JSON.stringify(c.value)}` });
        }
      }
    });
    const p = r.propose;
    if (p !== undefined) {
      if (p.guidance === "none") {
        if (p.value !== undefined) out.push({ index, field: "propose.value", message: 'expected no value for "none"' });
      } else {
        const b = GUIDANCE_BOUNDS[p.guidance];
        if (p.value === undefined) out.push({ index, field: "propose.value", message: `missing: ${p.guidance} needs a value in [${b.min}, ${b.max}]` });
        else if (!(p.value >= b.min && p.value <= b.max) || (b.integer && !Number.isInteger(p.value))) {
          out.push({ index, field: "propose.value", message: `expected ${b.integer ? "an integer" : "a number"} in [${b.min}, ${b.max}] for ${p.guidance}, got ${p.value}` });
        }
      }
    }
  });
  return out;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CoachError("invalid_rules", `not JSON: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
}

/** Validates a rules document (already decoded); `file` names it in errors. */
export function parseRules(raw: unknown, file: string): RulesFile {
  const r = rulesFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const { rule, field } = placeOf(raw, path, "rules");
    const msg = issue.code === "unrecognized_keys" ? `unknown field "${issue.keys[0]}"` : issue.message;
    throw new CoachError("invalid_rules", msg, { file, ...(rule ? { rule } : {}), field });
  }
  const bad = semanticIssues(r.data.rules)[0];
  if (bad) {
    const { rule } = placeOf(raw, ["rules", bad.index], "rules");
    throw new CoachError("invalid_rules", bad.message, { file, ...(rule ? { rule } : {}), field: bad.field });
  }
  if (r.data.settings.shortWindow > r.data.settings.window) throw new CoachError("invalid_rules", "expected shortWindow ≤ window", { file, field: "settings.shortWindow" });
  return r.data;
}

export function parseChunks(raw: unknown, file: string): Rule[] {
  const r = chunksFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const { rule, field } = placeOf(raw, issue.path, "chunks");
    throw new CoachError("invalid_rules", issue.message, { file, ...(rule ? { rule } : {}), field });
  }
  const bad = semanticIssues(r.data.chunks)[0];
  if (bad) {
    const { rule } = placeOf(raw, ["chunks", bad.index], "chunks");
    throw new CoachError("invalid_rules", bad.message, { file, ...(rule ? { rule } : {}), field: bad.field });
  }
  return r.data.chunks;
}

export const DEFAULT_RULES_FILE = new URL("./default-rules.json", import.meta.url).pathname;

/** Reads and validates a rules file, and its chunks file when given and present. */
export function loadRules(file: string = DEFAULT_RULES_FILE, chunksFile: string | null = null): RuleSet {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new CoachError("invalid_rules", `cannot read (${err instanceof Error ? err.message : String(err)})`, { file });
  }
  const parsed = parseRules(parseJson(text, file), file);
  let chunks: Rule[] = [];
  if (chunksFile !== null) {
    let chunkText: string | null = null;
    try {
      chunkText = readFileSync(chunksFile, "utf8");
    } catch {
      chunkText = null; // no chunks learnt yet
    }
    if (chunkText !== null) chunks = parseChunks(parseJson(chunkText, chunksFile), chunksFile);
    const ids = new Set(parsed.rules.map((r) => r.id));
    const clash = chunks.find((c) => ids.has(c.id));
    if (clash) throw new CoachError("invalid_rules", `chunk id "${clash.id}" is also a rule id`, { file: chunksFile, field: "chunks" });
  }
  return { settings: parsed.settings, rules: parsed.rules, chunks, file, chunksFile };
}

/** Rules from a document in memory (notebooks, tests). */
export function ruleSetFrom(doc: unknown, name = "<rules>"): RuleSet {
  const parsed = parseRules(doc, name);
  return { settings: parsed.settings, rules: parsed.rules, chunks: [], file: name, chunksFile: null };
}

/** Adds a chunk and persists the chunks file (atomically; the coach owns that file). */
export function addChunk(set: RuleSet, chunk: Rule): void {
  if (set.chunks.some((c) => c.id === chunk.id) || set.rules.some((r) => r.id === chunk.id)) return;
  set.chunks.push(chunk);
  if (set.chunksFile !== null) writeFileAtomic(set.chunksFile, JSON.stringify({ schemaVersion: 1, chunks: set.chunks }, null, 2) + "\n");
}

function test(c: Condition, facts: Facts): boolean {
  const v = facts[c.fact as FactName];
  if (v === null || v === undefined) return false;
  switch (c.op) {
    case "==":
      return v === c.value;
    case "!=":
      return v !== c.value;
    case "<":
      return typeof v === "number" && typeof c.value === "number" && v < c.value;
    case "<=":
      return typeof v === "number" && typeof c.value === "number" && v <= c.value;
    case ">":
      return typeof v === "number" && typeof c.value === "number" && v > c.value;
    case ">=":
      return typeof v === "number" && typeof c.value === "number" && v >= c.value;
  }
}

export function matches(rule: Rule, facts: Facts): boolean {
  return rule.when.every((c) => test(c, facts));
}

export type { GuidanceKind };
