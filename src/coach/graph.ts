/**
 * The SOAR decision cycle as a LangGraph StateGraph. The phases (src/coach/cycle.ts) run in as few LangGraph nodes
 * as resumption allows:
 *
 *   START → cycle ─┬→ END                           cycle: input → elaborate → propose → evaluate → decide
 *                  │                                       (→ subgoal by the default rule, without an LLM) → apply → output
 *                  └→ subgoal → chunk → act → END   an impasse with an LLM: cycle stops after decide;
 *                                                   act: apply → output
 *
 * Why one node on the rule path: every LangGraph node costs a task, a run tree and, with a checkpointer, a
 * checkpoint write and a pending write (far more than the phases themselves: docs/coach.md, "Benchmarks"). A
 * rule-path cycle writes two checkpoints: the input's (next: `cycle`) and the finished cycle's. The phases are
 * pure functions of the checkpointed state, so a coach killed inside `cycle` (before or after forming the guidance,
 * before publishing it) resumes from the input's checkpoint, redoes them and reaches the same decision, the same
 * guidance id and version: the guidance is published once. Killed after the publish and before the node's
 * checkpoint, it is published again with the same id and version (the trader ignores the duplicate). The LLM
 * subgoal is its own node so that an answer, once checkpointed, is never asked for again, and the chunk it teaches
 * is written once; the side effect after it (`act`) is a node too, so that it starts from a checkpoint that holds
 * the answer.
 *
 * Two channels, both plain JSON (a durable checkpointer such as LibsqlSaver writes one blob per changed channel
 * per checkpoint; there were 21 before): `input` (this cycle's raw state and clocks) and `cycleState` (everything the
 * phases read and write, working memory and version included). The decision trace is not a channel: it is a
 * function of the final state (`traceOf`), built by the caller.
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
  type CycleContext,
  type CycleState,
  type Operator,
  type PhaseName,
  type Resolution,
} from "./cycle.js";
import type { SubgoalLlm } from "./llm.js";

/** The cycle's input: what `Coach.step` writes into the `input` channel. */
export interface CycleInput {
  readonly rawState: unknown;
  readonly now: number;
  readonly sentAt: number | null;
}

/** The `cycleState` channel: the cycle state less its input (the trace is built from it, never stored). */
export type StoredCycle = Omit<CycleState, "rawState" | "now" | "sentAt" | "trace">;

/** The stored part of a cycle state. */
export function storedOf(s: CycleState): StoredCycle {
  const { rawState: _r, now: _n, sentAt: _s, trace: _t, ...stored } = s;
  return stored;
}

/** The cycle state of the graph's two channels (the trace: null; `traceOf` builds it). */
export function cycleStateOf(input: CycleInput | null | undefined, stored: StoredCycle | null | undefined): CycleState {
  const init = initialCycleState();
  return { ...init, ...(stored ?? {}), rawState: input?.rawState ?? null, now: input?.now ?? 0, sentAt: input?.sentAt ?? null, trace: null };
}

export const initialStoredCycle = (): StoredCycle => storedOf(initialCycleState());

const last = <T>(init: () => T) => Annotation<T>({ reducer: (_prev: T, next: T) => next, default: init });

export const CycleAnnotation = Annotation.Root({
  input: last<CycleInput | null>(() => null),
  cycleState: last<StoredCycle>(initialStoredCycle),
});
export type GraphState = typeof CycleAnnotation.State;
type GraphUpdate = typeof CycleAnnotation.Update;

/** The graph's nodes and the phases each runs (subgoal inside `cycle` only without an LLM). */
export const COACH_GRAPH_NODES = [
  { node: "cycle", phases: ["input", "elaborate", "propose", "evaluate", "decide", "subgoal", "apply", "output"] },
  { node: "subgoal", phases: ["subgoal"] },
  { node: "chunk", phases: ["chunk"] },
  { node: "act", phases: ["apply", "output"] },
] as const satisfies ReadonlyArray<{ node: string; phases: readonly PhaseName[] }>;
/** The nodes a rule-path cycle (no LLM asked) runs through. */
export const RULE_PATH_NODES = ["cycle"] as const;

export interface GraphContext extends CycleContext {
  /** The impasse's LLM; null: rules only (impasses take the default rule). */
  readonly llm: SubgoalLlm | null;
  /** Publishes a guidance; resolves false when the bus dropped it. Absent: the caller publishes `state.guidance`. */
  readonly publish?: (g: CoachGuidance) => Promise<boolean>;
  /** Called on entering every phase (tests use it to kill the coach mid-graph). */
  readonly onPhase?: (phase: PhaseName, s: CycleState) => void | Promise<void>;
}

/** Runs phases one after the other inside one node, each leaving its trace entry (runPhase). */
class NodeRun {
  private cur: CycleState;
  constructor(
    g: GraphState,
    private readonly ctx: GraphContext,
  ) {
    this.cur = cycleStateOf(g.input, g.cycleState);
  }
  get state(): CycleState {
    return this.cur;
  }
  async phase(name: PhaseName, fn: (s: CycleState) => Partial<CycleState> | Promise<Partial<CycleState>>): Promise<CycleState> {
    if (this.ctx.onPhase) await this.ctx.onPhase(name, this.cur);
    this.cur = runPhase(this.cur, name, await fn(this.cur));
    return this.cur;
  }
  /** The node's one write: the `cycleState` channel. */
  update(): GraphUpdate {
    return { cycleState: storedOf(this.cur) };
  }
}

/** True when the cycle stopped at an impasse for the LLM subgoal (the rule path ends in `cycle`). */
const needsLlm = (s: Pick<CycleState, "inputOutcome" | "decision" | "resolution">, llm: SubgoalLlm | null): boolean =>
  llm !== null && s.inputOutcome === "ok" && s.decision?.kind === "impasse" && s.resolution === null;

async function actPhases(run: NodeRun, ctx: GraphContext): Promise<void> {
  if (run.state.inputOutcome === "ok") await run.phase("apply", (x) => applyPhase(x, ctx));
  await run.phase("output", async (x) => outputPhase(x, x.guidance !== null && ctx.publish ? await ctx.publish(x.guidance) : null));
}

async function cycleNode(g: GraphState, ctx: GraphContext): Promise<GraphUpdate> {
  const run = new NodeRun(g, ctx);
  if ((await run.phase("input", inputPhase)).inputOutcome === "ok") {
    await run.phase("elaborate", (x) => elaboratePhase(x, ctx));
    await run.phase("propose", (x) => proposePhase(x, ctx));
    await run.phase("evaluate", evaluatePhase);
    const decided = await run.phase("decide", decidePhase);
    if (decided.decision?.kind === "impasse") {
      if (needsLlm(decided, ctx.llm)) return run.update();
      await run.phase("subgoal", (x) => subgoalDefaultPhase(x, ctx));
    }
  }
  await actPhases(run, ctx);
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

/** Builds and compiles the coach's graph over `ctx` (rules, LLM, publisher) with `checkpointer`. */
export function buildCoachGraph(ctx: GraphContext, checkpointer?: BaseCheckpointSaver) {
  const llm = ctx.llm;
  const graph = new StateGraph(CycleAnnotation)
    .addNode("cycle", (g: GraphState) => cycleNode(g, ctx))
    .addNode("subgoal", async (g: GraphState) => {
      const run = new NodeRun(g, ctx);
      await run.phase("subgoal", (x) => (llm === null ? subgoalDefaultPhase(x, ctx) : llmSubgoalPhase(x, llm)));
      return run.update();
    })
    .addNode("chunk", async (g: GraphState) => {
      const run = new NodeRun(g, ctx);
      await run.phase("chunk", (x) => chunkPhase(x, ctx, llm?.spec ?? "default"));
      return run.update();
    })
    .addNode("act", async (g: GraphState) => {
      const run = new NodeRun(g, ctx);
      await actPhases(run, ctx);
      return run.update();
    })
    .addEdge(START, "cycle")
    .addConditionalEdges("cycle", (g: GraphState) => (needsLlm(g.cycleState, llm) ? "subgoal" : END), ["subgoal", END])
    .addEdge("subgoal", "chunk")
    .addEdge("chunk", "act")
    .addEdge("act", END);
  return graph.compile(checkpointer ? { checkpointer } : {});
}

export type CoachGraph = ReturnType<typeof buildCoachGraph>;
