/**
 * The SOAR decision cycle, one function per phase, over an explicit cycle state (plain JSON: it is the LangGraph
 * graph's state and lives in its checkpoint). src/coach/graph.ts runs these phases in LangGraph nodes;
 * `runCycleSync` runs the same functions in the same order without LangGraph (a backtest steps thousands of ticks;
 * the tests check both give the same traces). Every phase that runs leaves an entry in the trace's `phases`.
 *
 *   input      validate the ppo_state (strict schema; an old seq is ignored, R14)
 *   elaborate  add it to working memory and derive the facts
 *   propose    every matching rule proposes its operator (or rejects a kind)
 *   evaluate   drop rejected operators, rank the rest by preference
 *   decide     one best operator (or several proposing the same guidance): selected; a tie between different
 *              guidance, or no candidate at all: an impasse
 *   subgoal    (impasse) ask the LLM, when there is one, else the default rule (settings.onTie); src/coach/llm.ts
 *   chunk      a subgoal the LLM resolved becomes a rule on the situation's facts, persisted: the same situation
 *              is decided without the LLM next time
 *   apply      form the guidance message (id, version + 1, expiry from the trader's interval); an operator already
 *              in force with the same value is re-sent only every settings.refreshTicks ticks
 *   output     publish it (graph) or return it (sync), and write the decision trace
 */
import { GUIDANCE_BOUNDS, parsePpoState, describeRejection, type AnyPpoState, type CoachGuidance, type GuidanceKind, type GuidanceSource } from "../bus/messages.js";
import { addChunk, matches, type OperatorKind, type Rule, type RuleSet } from "./rules.js";
import { elaborate, emptyMemory, remember, SITUATION_FACTS, type CoachMemory, type Facts } from "./working-memory.js";

/** One operator: a rule's proposal. */
export interface Operator {
  readonly rule: string;
  /** Who proposed it: a researcher's rule, a chunk, or the LLM in a subgoal. */
  readonly source: "rule" | "chunk" | "llm";
  readonly guidance: OperatorKind;
  readonly value: number | null;
  readonly preference: number;
  readonly ttlTicks: number | null;
  readonly doc: string;
}

export type Decision =
  | { readonly kind: "selected"; readonly operator: Operator; readonly why: string }
  | { readonly kind: "impasse"; readonly impasse: "tie" | "no_candidate"; readonly tied: readonly Operator[]; readonly why: string };

/** How a subgoal ended. */
export interface Resolution {
  readonly by: "llm" | "default";
  /** The operator chosen (null: no change). */
  readonly operator: Operator | null;
  readonly ok: boolean;
  /** Why the LLM failed (R17), when it did. */
  readonly error: string | null;
  readonly attempts: number;
  readonly reason: string;
  /** The chunk learnt from it. */
  readonly chunk: string | null;
}

/** The guidance the coach believes in force, per kind (what it published and when it expires). */
export type InForce = Partial<Record<GuidanceKind, { readonly value: number; readonly issuedAt: number; readonly expiresAt: number; readonly version: number }>>;

/** The phases of the cycle, in the order they run. */
export const PHASE_NAMES = ["input", "elaborate", "propose", "evaluate", "decide", "subgoal", "chunk", "apply", "output"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** One phase that ran in a cycle, with what it concluded in a few words. */
export interface PhaseEntry {
  readonly phase: PhaseName;
  readonly note: string;
}

/** A decision, step by step: what a notebook or the dashboard shows. */
export interface DecisionTrace {
  readonly cycle: number;
  readonly stateSeq: number | null;
  /** The state's time (or the coach's clock for a seed-form state). */
  readonly ts: number;
  readonly input: "ok" | "rejected" | "old_seq";
  readonly inputError: string | null;
  readonly facts: Facts | null;
  readonly proposed: readonly Operator[];
  readonly rejections: ReadonlyArray<{ readonly rule: string; readonly kind: string }>;
  readonly candidates: readonly Operator[];
  readonly decision: "selected" | "impasse:tie" | "impasse:no_candidate" | "none";
  readonly resolution: Resolution | null;
  readonly chosen: Operator | null;
  /** published: a new guidance; unchanged: the same is in force; no_change: the choice was "none"; dropped: the bus refused it; none: no decision. */
  readonly output: "published" | "unchanged" | "no_change" | "dropped" | "none";
  readonly guidance: CoachGuidance | null;
  readonly why: string;
  /** Every phase that ran, in order (a rule-path cycle: input, elaborate, propose, evaluate, decide, apply, output). */
  readonly phases: readonly PhaseEntry[];
}

/** The cycle's state: the graph's channels. */
export interface CycleState {
  /** The raw ppo_state of this cycle (text or decoded JSON). */
  rawState: unknown;
  /** The coach's clock for this cycle (ms UTC). */
  now: number;
  /** When the state was put on the bus (its stream entry's time, ms UTC); null: unknown (an in-loop coach). */
  sentAt: number | null;
  state: AnyPpoState | null;
  inputOutcome: DecisionTrace["input"];
  inputError: string | null;
  memory: CoachMemory;
  facts: Facts | null;
  proposed: Operator[];
  rejections: Array<{ rule: string; kind: string }>;
  candidates: Operator[];
  decision: Decision | null;
  resolution: Resolution | null;
  chosen: Operator | null;
  guidance: CoachGuidance | null;
  outcome: DecisionTrace["output"];
  /** The last version issued (never goes backwards: R18). */
  version: number;
  inForce: InForce;
  cycle: number;
  /** The phases run so far in this cycle. */
  phases: PhaseEntry[];
  trace: DecisionTrace | null;
}

export function initialCycleState(): CycleState {
  return {
    rawState: null,
    now: 0,
    sentAt: null,
    state: null,
    inputOutcome: "ok",
    inputError: null,
    memory: emptyMemory(),
    facts: null,
    proposed: [],
    rejections: [],
    candidates: [],
    decision: null,
    resolution: null,
    chosen: null,
    guidance: null,
    outcome: "none",
    version: 0,
    inForce: {},
    cycle: 0,
    phases: [],
    trace: null,
  };
}

/** What the phases need besides the state: the rules and the coach's identity. */
export interface CycleContext {
  readonly rules: RuleSet;
  readonly coachId: string;
}

type Update = Partial<CycleState>;

export function inputPhase(s: CycleState): Update {
  const reset: Update = { state: null, facts: null, proposed: [], rejections: [], candidates: [], decision: null, resolution: null, chosen: null, guidance: null, outcome: "none", phases: [], trace: null, cycle: s.cycle + 1 };
  const parsed = parsePpoState(s.rawState);
  if (!parsed.ok) return { ...reset, inputOutcome: "rejected", inputError: describeRejection(parsed.rejection) };
  const st = parsed.message;
  if (st.form === "v1" && s.memory.lastSeq !== null && st.seq <= s.memory.lastSeq) {
    return { ...reset, inputOutcome: "old_seq", inputError: `ppo_state seq ${st.seq} ≤ ${s.memory.lastSeq} already seen: ignored` };
  }
  return { ...reset, state: st, inputOutcome: "ok", inputError: null };
}

export function elaboratePhase(s: CycleState, ctx: CycleContext): Update {
  const st = s.state!;
  const sentAt = s.sentAt ?? null;
  const memory = remember(s.memory, st, ctx.rules.settings, sentAt);
  return { memory, facts: elaborate(memory, st, s.now, ctx.rules.settings, sentAt) };
}

const operatorOf = (r: Rule, source: "rule" | "chunk"): Operator => ({
  rule: r.id,
  source,
  guidance: r.propose!.guidance,
  value: r.propose!.value ?? null,
  preference: r.preference,
  ttlTicks: r.ttlTicks ?? null,
  doc: r.doc,
});

export function proposePhase(s: CycleState, ctx: CycleContext): Update {
  const facts = s.facts!;
  const proposed: Operator[] = [];
  const rejections: Array<{ rule: string; kind: string }> = [];
  const visit = (r: Rule, source: "rule" | "chunk"): void => {
    if (!matches(r, facts)) return;
    if (r.reject !== undefined) rejections.push({ rule: r.id, kind: r.reject });
    else proposed.push(operatorOf(r, source));
  };
  for (const r of ctx.rules.rules) visit(r, "rule");
  for (const r of ctx.rules.chunks) visit(r, "chunk");
  return { proposed, rejections };
}

export function evaluatePhase(s: CycleState): Update {
  const rejected = new Set(s.rejections.map((r) => r.kind));
  const candidates = s.proposed.filter((o) => !(rejected.has("any") || (o.guidance !== "none" && rejected.has(o.guidance))));
  // Stable: equal preferences keep file order (rules, then chunks).
  candidates.sort((a, b) => b.preference - a.preference);
  return { candidates };
}

const sameProposal = (a: Operator, b: Operator): boolean => a.guidance === b.guidance && a.value === b.value;

export function decidePhase(s: CycleState): Update {
  const c = s.candidates;
  if (c.length === 0) return { decision: { kind: "impasse", impasse: "no_candidate", tied: [], why: "no rule proposed an operator" } };
  const top = c.filter((o) => o.preference === c[0]!.preference);
  if (top.every((o) => sameProposal(o, top[0]!))) {
    const o = top[0]!;
    const also = top.length > 1 ? ` (also ${top.slice(1).map((x) => x.rule).join(", ")})` : "";
    return { decision: { kind: "selected", operator: o, why: `rule ${o.rule}${also}: preference ${o.preference}` }, chosen: o };
  }
  return { decision: { kind: "impasse", impasse: "tie", tied: top, why: `tie at preference ${top[0]!.preference}: ${top.map((o) => o.rule).join(", ")}` } };
}

/** The impasse resolved without an LLM: settings.onTie for a tie, no change when nothing was proposed. */
export function defaultResolution(s: CycleState, ctx: CycleContext, error: string | null = null, attempts = 0): Resolution {
  const d = s.decision;
  if (d?.kind !== "impasse") throw new Error("defaultResolution outside an impasse");
  const first = d.impasse === "tie" && ctx.rules.settings.onTie === "first" ? d.tied[0]! : null;
  const reason = first ? `default: first tied rule in file order (${first.rule})` : d.impasse === "tie" ? "default: no change on a tie" : "default: no change (no rule applies)";
  return { by: "default", operator: first, ok: error === null, error, attempts, reason, chunk: null };
}

/** The subgoal of an impasse without an LLM: the default resolution. */
export function subgoalDefaultPhase(s: CycleState, ctx: CycleContext): Update {
  return { resolution: defaultResolution(s, ctx) };
}

/** A chunk for an impasse the LLM resolved: the situation's facts → the LLM's operator, just above the tie. */
export function chunkFor(s: CycleState, res: Resolution, at: string, by: string): Rule {
  const d = s.decision as Extract<Decision, { kind: "impasse" }>;
  const facts = s.facts!;
  const when = SITUATION_FACTS.map((f) => ({ fact: f as string, op: "==" as const, value: facts[f] as string }));
  const signature = when.map((w) => w.value).join("-");
  const op = res.operator;
  const top = d.tied[0]?.preference ?? 0;
  return {
    id: `chunk-${d.impasse === "tie" ? "tie" : "nc"}-${signature}`.replace(/[^a-z0-9._-]/g, "-").slice(0, 64),
    doc: `learnt from ${by} on a ${d.impasse} impasse: ${res.reason}`.slice(0, 500),
    when,
    propose: op === null ? { guidance: "none" } : { guidance: op.guidance, ...(op.value === null ? {} : { value: op.value }) },
    preference: d.impasse === "tie" ? top + 1 : 0,
    ...(op?.ttlTicks ? { ttlTicks: op.ttlTicks } : {}),
    learned: { at, impasse: d.impasse, by },
  };
}

/** Persists the chunk of an LLM-resolved impasse; returns its id (null when nothing was learnt). */
export function chunkPhase(s: CycleState, ctx: CycleContext, by: string): Update {
  const res = s.resolution;
  if (res === null || res.by !== "llm" || !res.ok || s.facts === null) return {};
  const chunk = chunkFor(s, res, new Date(s.now).toISOString(), by);
  addChunk(ctx.rules, chunk);
  return { resolution: { ...res, chunk: chunk.id } };
}

export function applyPhase(s: CycleState, ctx: CycleContext): Update {
  const op = s.resolution !== null ? s.resolution.operator : s.chosen;
  const st = s.state;
  if (op === null || st === null) return { chosen: op, outcome: op === null ? "no_change" : "none" };
  if (op.guidance === "none") return { chosen: op, outcome: "no_change" };
  const settings = ctx.rules.settings;
  const interval = st.form === "v1" ? (st.intervalMs ?? settings.defaultIntervalMs) : settings.defaultIntervalMs;
  const ttl = op.ttlTicks ?? settings.ttlTicks;
  const current = s.inForce[op.guidance];
  const issuedAt = st.form === "v1" ? Math.max(st.ts, 0) : s.now;
  // The same guidance is re-sent once it is refreshTicks old (the trader drops guidance older than its maxAge) or
  // about to expire; until then it is "unchanged" and nothing is published.
  if (current !== undefined && current.value === op.value && issuedAt - current.issuedAt < settings.refreshTicks * interval && current.expiresAt - issuedAt > interval) {
    return { chosen: op, outcome: "unchanged" };
  }
  const b = GUIDANCE_BOUNDS[op.guidance];
  const value = Math.min(b.max, Math.max(b.min, op.value ?? b.neutral));
  const version = s.version + 1;
  const source: GuidanceSource = s.resolution !== null ? (s.resolution.by === "llm" ? "llm" : "default") : op.source === "chunk" ? "chunk" : "rule";
  const why = s.resolution !== null ? s.resolution.reason : `rule ${op.rule}: ${op.doc}`;
  const guidance = {
    schemaVersion: 1 as const,
    id: `${ctx.coachId}:${version}`,
    version,
    guidance: op.guidance,
    value,
    reason: why.slice(0, 500),
    issuedAt,
    expiresAt: issuedAt + ttl * interval,
    stateSeq: st.form === "v1" ? st.seq : null,
    source,
    rule: s.resolution?.by === "llm" ? (s.resolution.chunk ?? null) : op.rule,
    coachId: ctx.coachId,
  } as CoachGuidance;
  return { chosen: op, guidance, version, inForce: { ...s.inForce, [op.guidance]: { value, issuedAt, expiresAt: guidance.expiresAt, version } } };
}

/**
 * The output phase, once the publish outcome is known (`published`: true, false when the bus dropped it, null when
 * the caller publishes `guidance` itself): the cycle's output and its trace.
 */
export function outputPhase(s: CycleState, published: boolean | null): Update {
  const outcome: CycleState["outcome"] = s.guidance === null ? s.outcome : published === false ? "dropped" : "published";
  return { outcome };
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What a phase concluded, in a few words (its trace entry), from the state after it. */
function noteOf(phase: PhaseName, s: CycleState): string {
  switch (phase) {
    case "input":
      return s.inputOutcome === "ok" ? (s.state?.form === "v1" ? `ok, seq ${s.state.seq}` : "ok, seed form") : s.inputOutcome;
    case "elaborate": {
      const f = s.facts === null ? [] : Object.values(s.facts);
      return `${f.filter((v) => v !== null && v !== "unknown").length} of ${f.length} facts known`;
    }
    case "propose":
      return `${count(s.proposed.length, "operator")}, ${count(s.rejections.length, "rejection")}`;
    case "evaluate":
      return count(s.candidates.length, "candidate");
    case "decide":
      return s.decision === null ? "no decision" : s.decision.kind === "selected" ? `selected ${s.decision.operator.rule}` : `impasse: ${s.decision.impasse}`;
    case "subgoal":
      return s.resolution === null ? "no subgoal" : `${s.resolution.by}${s.resolution.ok ? "" : " failed"}: ${s.resolution.operator?.rule ?? "no change"}`;
    case "chunk":
      return s.resolution?.chunk ? `learnt ${s.resolution.chunk}` : "nothing learnt";
    case "apply":
      return s.guidance !== null ? `${s.guidance.guidance} ${s.guidance.value}, version ${s.guidance.version}` : s.outcome;
    case "output":
      return s.outcome;
  }
}

/** `s` after one phase's update, with the phase's trace entry appended. */
export function runPhase(s: CycleState, phase: PhaseName, update: Update): CycleState {
  const next: CycleState = { ...s, ...update };
  next.phases = [...next.phases, { phase, note: noteOf(phase, next) }];
  return next;
}

/** The trace of the cycle (called by the output phase once the publish outcome is known). */
export function traceOf(s: CycleState, output: DecisionTrace["output"]): DecisionTrace {
  const st = s.state;
  const d = s.decision;
  const why =
    s.inputOutcome !== "ok"
      ? (s.inputError ?? "input rejected")
      : d === null
        ? "no decision"
        : d.kind === "selected"
          ? d.why
          : `${d.why}; ${s.resolution?.reason ?? ""}${s.resolution?.error ? ` (LLM failed: ${s.resolution.error})` : ""}`;
  return {
    cycle: s.cycle,
    stateSeq: st?.form === "v1" ? st.seq : null,
    ts: st?.form === "v1" ? st.ts : s.now,
    input: s.inputOutcome,
    inputError: s.inputError,
    facts: s.facts,
    proposed: s.proposed,
    rejections: s.rejections,
    candidates: s.candidates,
    decision: d === null ? "none" : d.kind === "selected" ? "selected" : `impasse:${d.impasse}`,
    resolution: s.resolution,
    chosen: s.chosen,
    output,
    guidance: output === "published" ? s.guidance : null,
    why,
    phases: s.phases,
  };
}

/**
 * The whole cycle without LangGraph, synchronously: impasses are resolved by the default rule (no LLM). Returns
 * the next cycle state; its `guidance` is the message to publish (null: none) and `trace` the decision trace.
 */
export function runCycleSync(prev: CycleState, input: unknown, now: number, ctx: CycleContext, sentAt: number | null = null): CycleState {
  let s: CycleState = { ...prev, rawState: input, now, sentAt };
  s = runPhase(s, "input", inputPhase(s));
  if (s.inputOutcome === "ok") {
    s = runPhase(s, "elaborate", elaboratePhase(s, ctx));
    s = runPhase(s, "propose", proposePhase(s, ctx));
    s = runPhase(s, "evaluate", evaluatePhase(s));
    s = runPhase(s, "decide", decidePhase(s));
    if (s.decision?.kind === "impasse") s = runPhase(s, "subgoal", subgoalDefaultPhase(s, ctx));
    s = runPhase(s, "apply", applyPhase(s, ctx));
  }
  s = runPhase(s, "output", outputPhase(s, null));
  return { ...s, trace: traceOf(s, s.outcome) };
}

export { initialCycleState as emptyCycleState };
export type { CoachMemory, Facts };
