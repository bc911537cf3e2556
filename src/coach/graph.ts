/**
 * The SOAR decision cycle as a LangGraph StateGraph (the phases: src/coach/cycle.ts):
 *
 *   START → input ─┬→ elaborate → propose → evaluate → decide ─┬→ apply → output → END
 *                  │                                           └→ subgoal → chunk ─┘
 *                  └→ output (input rejected)
 *
 * Every channel is a plain last-value channel holding JSON, so a durable checkpointer (LibsqlSaver) can save the
 * graph after each node and a coach killed mid-graph resumes its thread where it stopped (R18).
 */
import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { CoachGuidance } from "../bus/messages.js";
import {
  applyPhase,
  chunkPhase,
  decidePhase,
  defaultResolution,
  elaboratePhase,
  evaluatePhase,
  initialCycleState,
  inputPhase,
  proposePhase,
  traceOf,
  type CycleContext,
  type CycleState,
  type Operator,
  type Resolution,
} from "./cycle.js";
import type { SubgoalLlm } from "./llm.js";

const init = initialCycleState();
const last = <K extends keyof CycleState>(key: K) =>
  Annotation<CycleState[K]>({ reducer: (_prev: CycleState[K], next: CycleState[K]) => next, default: () => structuredClone(init[key]) });

export const CycleAnnotation = Annotation.Root({
  rawState: last("rawState"),
  now: last("now"),
  state: last("state"),
  inputOutcome: last("inputOutcome"),
  inputError: last("inputError"),
  memory: last("memory"),
  facts: last("facts"),
  proposed: last("proposed"),
  rejections: last("rejections"),
  candidates: last("candidates"),
  decision: last("decision"),
  resolution: last("resolution"),
  chosen: last("chosen"),
  guidance: last("guidance"),
  outcome: last("outcome"),
  version: last("version"),
  inForce: last("inForce"),
  cycle: last("cycle"),
  trace: last("trace"),
});

export interface GraphContext extends CycleContext {
  /** The impasse's LLM; null: rules only (impasses take the default rule). */
  readonly llm: SubgoalLlm | null;
  /** Publishes a guidance; resolves false when the bus dropped it. Absent: the caller publishes `state.guidance`. */
  readonly publish?: (g: CoachGuidance) => Promise<boolean>;
  /** Called with every LangGraph node entry (tests use it to kill the coach mid-graph). */
  readonly onNode?: (node: string, s: CycleState) => void | Promise<void>;
}

async function subgoal(s: CycleState, ctx: GraphContext): Promise<Partial<CycleState>> {
  const d = s.decision;
  if (d?.kind !== "impasse") return {};
  if (ctx.llm === null) return { resolution: defaultResolution(s, ctx) };
  const answer = await ctx.llm.resolve({ impasse: d.impasse, facts: s.facts!, candidates: d.tied });
  if (!answer.ok) {
    // R17: an LLM failure publishes nothing (an explicit no change), never a guess.
    const res: Resolution = { by: "llm", operator: null, ok: false, error: `${answer.failure}: ${answer.message}`, attempts: answer.attempts, reason: "no change: the LLM subgoal failed", chunk: null };
    return { resolution: res };
  }
  const operator: Operator | null =
    answer.guidance === "none"
      ? null
      : { rule: "llm", source: "llm", guidance: answer.guidance, value: answer.value, preference: d.tied[0]?.preference ?? 0, ttlTicks: null, doc: answer.reason };
  return { resolution: { by: "llm", operator, ok: true, error: null, attempts: answer.attempts, reason: `${ctx.llm.spec}: ${answer.reason}`, chunk: null } };
}

async function output(s: CycleState, ctx: GraphContext): Promise<Partial<CycleState>> {
  let out: CycleState["outcome"] = s.guidance !== null ? "published" : s.outcome;
  if (s.guidance !== null && ctx.publish) out = (await ctx.publish(s.guidance)) ? "published" : "dropped";
  return { outcome: out, trace: traceOf(s, out) };
}

/** Builds and compiles the coach's graph over `ctx` (rules, LLM, publisher) with `checkpointer`. */
export function buildCoachGraph(ctx: GraphContext, checkpointer?: BaseCheckpointSaver) {
  const node =
    <T>(name: string, fn: (s: CycleState) => T | Promise<T>) =>
    async (s: CycleState): Promise<T> => {
      await ctx.onNode?.(name, s);
      return fn(s);
    };
  const graph = new StateGraph(CycleAnnotation)
    .addNode("input", node("input", (s) => inputPhase(s)))
    .addNode("elaborate", node("elaborate", (s) => elaboratePhase(s, ctx)))
    .addNode("propose", node("propose", (s) => proposePhase(s, ctx)))
    .addNode("evaluate", node("evaluate", (s) => evaluatePhase(s)))
    .addNode("decide", node("decide", (s) => decidePhase(s)))
    .addNode("subgoal", node("subgoal", (s) => subgoal(s, ctx)))
    .addNode("chunk", node("chunk", (s) => chunkPhase(s, ctx, ctx.llm?.spec ?? "default")))
    .addNode("apply", node("apply", (s) => applyPhase(s, ctx)))
    .addNode("output", node("output", (s) => output(s, ctx)))
    .addEdge(START, "input")
    .addConditionalEdges("input", (s) => (s.inputOutcome === "ok" ? "elaborate" : "output"), ["elaborate", "output"])
    .addEdge("elaborate", "propose")
    .addEdge("propose", "evaluate")
    .addEdge("evaluate", "decide")
    .addConditionalEdges("decide", (s) => (s.decision?.kind === "impasse" ? "subgoal" : "apply"), ["subgoal", "apply"])
    .addEdge("subgoal", "chunk")
    .addEdge("chunk", "apply")
    .addEdge("apply", "output")
    .addEdge("output", END);
  return graph.compile(checkpointer ? { checkpointer } : {});
}

export type CoachGraph = ReturnType<typeof buildCoachGraph>;
