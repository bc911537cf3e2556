/**
 * The SOAR decision cycle as a LangGraph StateGraph. The phases (src/coach/cycle.ts) run in a few LangGraph nodes:
 *
 *   START → deliberate ─┬→ act → END                  deliberate: input → elaborate → propose → evaluate → decide
 *                       │                                         (→ subgoal by the default rule, without an LLM)
 *                       └→ subgoal → chunk → act      act:        apply → output
 *                          (an impasse, with an LLM)
 *
 * Why so few nodes: every LangGraph node costs a task, a run tree and, with a checkpointer, a checkpoint write (more
 * than the phases themselves: docs/coach.md, "Benchmarks"). The phases of `deliberate` are pure functions of the
 * checkpointed state, so a coach killed inside it redoes them from the checkpoint before it and gets the same
 * result; `act` is the side effect (publishing) and starts from a checkpoint that holds the decision, so a resumed
 * cycle publishes the same guidance (same id and version: the trader ignores a duplicate). The LLM subgoal is
 * its own node so that an answer, once checkpointed, is never asked for again, and the chunk it teaches is
 * written once.
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
  elaboratePhase,
  evaluatePhase,
  initialCycleState,
  inputPhase,
  outputPhase,
  proposePhase,
  runPhase,
  subgoalDefaultPhase,
  traceOf,
  type CycleContext,
  type CycleState,
  type Operator,
  type PhaseName,
  type Resolution,
} from "./cycle.js";
import type { SubgoalLlm } from "./llm.js";

const init = initialCycleState();
const last = <K extends keyof CycleState>(key: K) =>
  Annotation<CycleState[K]>({ reducer: (_prev: CycleState[K], next: CycleState[K]) => next, default: () => structuredClone(init[key]) });

export const CycleAnnotation = Annotation.Root({
  rawState: last("rawState"),
  now: last("now"),
  sentAt: last("sentAt"),
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
  phases: last("phases"),
  trace: last("trace"),
});

/** The graph's nodes and the phases each runs (subgoal inside `deliberate` only without an LLM). */
export const COACH_GRAPH_NODES = [
  { node: "deliberate", phases: ["input", "elaborate", "propose", "evaluate", "decide", "subgoal"] },
  { node: "subgoal", phases: ["subgoal"] },
  { node: "chunk", phases: ["chunk"] },
  { node: "act", phases: ["apply", "output"] },
] as const satisfies ReadonlyArray<{ node: string; phases: readonly PhaseName[] }>;
/** The nodes a rule-path cycle (no LLM asked) runs through. */
export const RULE_PATH_NODES = ["deliberate", "act"] as const;

export interface GraphContext extends CycleContext {
  /** The impasse's LLM; null: rules only (impasses take the default rule). */
  readonly llm: SubgoalLlm | null;
  /** Publishes a guidance; resolves false when the bus dropped it. Absent: the caller publishes `state.guidance`. */
  readonly publish?: (g: CoachGuidance) => Promise<boolean>;
  /** Called on entering every phase (tests use it to kill the coach mid-graph). */
  readonly onPhase?: (phase: PhaseName, s: CycleState) => void | Promise<void>;
}

/** Runs phases one after the other inside one node; returns the channels they changed (only those are written). */
class NodeRun {
  private cur: CycleState;
  private readonly changed: Partial<CycleState> = {};
  constructor(
    start: CycleState,
    private readonly ctx: GraphContext,
  ) {
    this.cur = start;
  }
  get state(): CycleState {
    return this.cur;
  }
  async phase(name: PhaseName, fn: (s: CycleState) => Partial<CycleState> | Promise<Partial<CycleState>>): Promise<CycleState> {
    if (this.ctx.onPhase) await this.ctx.onPhase(name, this.cur);
    const update = await fn(this.cur);
    this.cur = runPhase(this.cur, name, update);
    Object.assign(this.changed, update, { phases: this.cur.phases });
    return this.cur;
  }
  update(extra: Partial<CycleState> = {}): Partial<CycleState> {
    return Object.assign(this.changed, extra);
  }
}

async function deliberate(s: CycleState, ctx: GraphContext): Promise<Partial<CycleState>> {
  const run = new NodeRun(s, ctx);
  if ((await run.phase("input", inputPhase)).inputOutcome !== "ok") return run.update();
  await run.phase("elaborate", (x) => elaboratePhase(x, ctx));
  await run.phase("propose", (x) => proposePhase(x, ctx));
  await run.phase("evaluate", evaluatePhase);
  const decided = await run.phase("decide", decidePhase);
  if (decided.decision?.kind === "impasse" && ctx.llm === null) await run.phase("subgoal", (x) => subgoalDefaultPhase(x, ctx));
  return run.update();
}

async function llmSubgoalPhase(s: CycleState, llm: SubgoalLlm): Promise<Partial<CycleState>> {
  const d = s.decision;
  if (d?.kind !== "impasse") return {};
  const answer = await llm.resolve({ impasse: d.impasse, facts: s.facts!, candidates: d.tied });
  if (!answer.ok) {
    // R17: an LLM failure publishes nothing (an explicit no change), never a guess.
    const res: Resolution = { by: "llm", operator: null, ok: false, error: `${answer.failure}: ${answer.message}`, attempts: answer.attempts, reason: "no change: the LLM subgoal failed", chunk: null };
    return { resolution: res };
  }
  const operator: Operator | null =
    answer.guidance === "none"
      ? null
      : { rule: "llm", source: "llm", guidance: answer.guidance, value: answer.value, preference: d.tied[0]?.preference ?? 0, ttlTicks: null, doc: answer.reason };
  return { resolution: { by: "llm", operator, ok: true, error: null, attempts: answer.attempts, reason: `${llm.spec}: ${answer.reason}`, chunk: null } };
}

async function act(s: CycleState, ctx: GraphContext): Promise<Partial<CycleState>> {
  const run = new NodeRun(s, ctx);
  if (s.inputOutcome === "ok") await run.phase("apply", (x) => applyPhase(x, ctx));
  const out = await run.phase("output", async (x) => outputPhase(x, x.guidance !== null && ctx.publish ? await ctx.publish(x.guidance) : null));
  return run.update({ trace: traceOf(out, out.outcome) });
}

/** Builds and compiles the coach's graph over `ctx` (rules, LLM, publisher) with `checkpointer`. */
export function buildCoachGraph(ctx: GraphContext, checkpointer?: BaseCheckpointSaver) {
  const llm = ctx.llm;
  const graph = new StateGraph(CycleAnnotation)
    .addNode("deliberate", (s: CycleState) => deliberate(s, ctx))
    .addNode("subgoal", async (s: CycleState) => {
      const run = new NodeRun(s, ctx);
      await run.phase("subgoal", (x) => (llm === null ? subgoalDefaultPhase(x, ctx) : llmSubgoalPhase(x, llm)));
      return run.update();
    })
    .addNode("chunk", async (s: CycleState) => {
      const run = new NodeRun(s, ctx);
      await run.phase("chunk", (x) => chunkPhase(x, ctx, llm?.spec ?? "default"));
      return run.update();
    })
    .addNode("act", (s: CycleState) => act(s, ctx))
    .addEdge(START, "deliberate")
    .addConditionalEdges("deliberate", (s) => (s.inputOutcome === "ok" && s.decision?.kind === "impasse" && s.resolution === null ? "subgoal" : "act"), ["subgoal", "act"])
    .addEdge("subgoal", "chunk")
    .addEdge("chunk", "act")
    .addEdge("act", END);
  return graph.compile(checkpointer ? { checkpointer } : {});
}

export type CoachGraph = ReturnType<typeof buildCoachGraph>;
