/**
 * A coach: the compiled graph, its thread and its checkpointer. `step(state)` runs one decision cycle and returns
 * its trace; `resume()` finishes a cycle a killed coach left half done (the checkpoint says which node is next);
 * `raiseVersionFloor(v)` makes sure the next version is above one already published (R18: the guidance version
 * never goes backwards, even with a checkpoint lost or older than the bus).
 */
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { CoachGuidance } from "../bus/messages.js";
import { traceOf, type CycleState, type DecisionTrace, type PhaseName } from "./cycle.js";
import { fastJsonSerializer } from "./fast-serde.js";
import { buildCoachGraph, cycleStateOf, initialStoredCycle, type CoachGraph, type CycleInput, type GraphState, type StoredCycle } from "./graph.js";
import type { SubgoalLlm } from "./llm.js";
import type { RuleSet } from "./rules.js";

export interface CoachOptions {
  readonly rules: RuleSet;
  /** The coach's id: guidance ids are `<coachId>:<version>`, and the checkpoint thread. Default "coach-1". */
  readonly coachId?: string;
  readonly llm?: SubgoalLlm | null;
  /** Durable in a service (LibsqlSaver); default MemorySaver (notebooks, tests: "for experimentation"). */
  readonly checkpointer?: BaseCheckpointSaver;
  readonly publish?: (g: CoachGuidance) => Promise<boolean>;
  readonly onPhase?: (phase: PhaseName, s: CycleState) => void | Promise<void>;
  /** The coach's clock. Default Date.now. */
  readonly clock?: () => number;
  /**
   * LangGraph's durability: "sync" (default) writes a checkpoint after every node before the next starts, so a coach
   * killed mid-graph resumes the cycle where it stopped (R18); "exit" writes one checkpoint when the cycle ends (a
   * third of a rule-path cycle's checkpoint writes): a cycle killed half way is lost and redone from the start when its
   * state is delivered again (the phases are pure, so the decision is the same; an LLM would be asked again, and a guidance
   * published just before the kill is published again under the next version). Measured: docs/coach.md.
   */
  readonly durability?: "sync" | "exit";
}

export class Coach {
  readonly coachId: string;
  readonly graph: CoachGraph;
  private readonly config: { configurable: { thread_id: string } };
  private readonly clock: () => number;
  private readonly durability: "sync" | "exit";
  private readonly saver: BaseCheckpointSaver;
  private upgraded: Promise<void> | null = null;

  constructor(readonly opts: CoachOptions) {
    this.coachId = opts.coachId ?? "coach-1";
    this.clock = opts.clock ?? Date.now;
    this.durability = opts.durability ?? "sync";
    this.saver = opts.checkpointer ?? new MemorySaver(fastJsonSerializer);
    this.graph = buildCoachGraph(
      {
        rules: opts.rules,
        coachId: this.coachId,
        llm: opts.llm ?? null,
        ...(opts.publish ? { publish: opts.publish } : {}),
        ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
      },
      this.saver,
    );
    this.config = { configurable: { thread_id: this.coachId } };
  }

  /**
   * One decision cycle on a ppo_state (JSON text or decoded). `sentAt`: when it was put on the bus (its stream
   * entry's time), by which a replay's state is judged stale (working-memory.ts, `stateAge`); null: unknown.
   */
  async step(state: unknown, now: number = this.clock(), sentAt: number | null = null): Promise<DecisionTrace> {
    await this.upgrade();
    const input: CycleInput = { rawState: state, now, sentAt };
    return traceOfValues(await this.graph.invoke({ input }, { ...this.config, durability: this.durability }));
  }

  /** Finishes a cycle left half done by a killed coach; null when there was none. */
  async resume(): Promise<DecisionTrace | null> {
    await this.upgrade();
    const snap = await this.graph.getState(this.config);
    if (snap.next.length === 0) return null;
    return traceOfValues(await this.graph.invoke(null, { ...this.config, durability: this.durability }));
  }

  /** The cycle state saved for this coach's thread (empty before the first cycle; `trace` null: see traceOf). */
  async saved(): Promise<Partial<CycleState>> {
    await this.upgrade();
    const v = (await this.graph.getState(this.config)).values as Partial<GraphState>;
    return v.cycleState === undefined ? {} : cycleStateOf(v.input, v.cycleState);
  }

  async version(): Promise<number> {
    return (await this.saved()).version ?? 0;
  }

  /** Reads a checkpoint of the old graph's layout into this one's, once per Coach (see upgradedStore). */
  private upgrade(): Promise<void> {
    this.upgraded ??= (async () => {
      const stored = upgradedStore((await this.saver.getTuple(this.config))?.checkpoint.channel_values);
      if (stored !== null) await this.graph.updateState(this.config, { cycleState: stored }, "cycle");
    })().catch((err: unknown) => {
      this.upgraded = null; // tried again on the next call
      throw err;
    });
    return this.upgraded;
  }

  /** The next guidance gets a version above `v`. */
  async raiseVersionFloor(v: number): Promise<void> {
    await this.upgrade();
    const v0 = (await this.graph.getState(this.config)).values as Partial<GraphState>;
    const stored = v0.cycleState ?? initialStoredCycle();
    if (stored.version >= v) return;
    // As the `cycle` node: the cycle it finished stays finished (nothing is next), only its version is raised.
    await this.graph.updateState(this.config, { cycleState: { ...stored, version: v } }, "cycle");
  }
}

/**
 * A checkpoint written by the graph before December 2026 (one channel per field of the cycle state, nodes
 * `deliberate` and `act`) is read into the `cycleState` channel once, so an upgraded coach keeps its working memory,
 * version and guidance in force. A cycle the old graph left half done is not finished: killed in `act`, its state's
 * seq is already in working memory and its redelivery is ignored as seen; killed in `deliberate`, the redelivered
 * state is decided afresh.
 */
function upgradedStore(values: Record<string, unknown> | undefined): StoredCycle | null {
  if (values === undefined || "cycleState" in values || typeof values.version !== "number") return null;
  const init = initialStoredCycle() as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(init).map((k) => [k, k in values ? values[k] : init[k]])) as unknown as StoredCycle;
}

/** The trace of the cycle a graph run ended with (built from the state, never stored in the checkpoint). */
function traceOfValues(values: unknown): DecisionTrace {
  const v = values as GraphState;
  const s = cycleStateOf(v.input, v.cycleState);
  return traceOf(s, s.outcome);
}
