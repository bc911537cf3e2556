/**
 * A coach: the compiled graph, its thread and its checkpointer. `step(state)` runs one decision cycle and returns
 * its trace; `resume()` finishes a cycle a killed coach left half done (the checkpoint says which node is next);
 * `raiseVersionFloor(v)` makes sure the next version is above one already published (R18: the guidance version
 * never goes backwards, even with a checkpoint lost or older than the bus).
 */
import { MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { CoachGuidance } from "../bus/messages.js";
import type { CycleState, DecisionTrace, PhaseName } from "./cycle.js";
import { buildCoachGraph, type CoachGraph } from "./graph.js";
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
   * quarter of the checkpoint writes): a cycle killed half way is lost and redone from the start when its state is
   * delivered again (the phases are pure, so the decision is the same; an LLM would be asked again, and a guidance
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

  constructor(readonly opts: CoachOptions) {
    this.coachId = opts.coachId ?? "coach-1";
    this.clock = opts.clock ?? Date.now;
    this.durability = opts.durability ?? "sync";
    this.graph = buildCoachGraph(
      {
        rules: opts.rules,
        coachId: this.coachId,
        llm: opts.llm ?? null,
        ...(opts.publish ? { publish: opts.publish } : {}),
        ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
      },
      opts.checkpointer ?? new MemorySaver(),
    );
    this.config = { configurable: { thread_id: this.coachId } };
  }

  /**
   * One decision cycle on a ppo_state (JSON text or decoded). `sentAt`: when it was put on the bus (its stream
   * entry's time), by which a replay's state is judged stale (working-memory.ts, `stateAge`); null: unknown.
   */
  async step(state: unknown, now: number = this.clock(), sentAt: number | null = null): Promise<DecisionTrace> {
    const out = (await this.graph.invoke({ rawState: state, now, sentAt }, { ...this.config, durability: this.durability })) as CycleState;
    return out.trace!;
  }

  /** Finishes a cycle left half done by a killed coach; null when there was none. */
  async resume(): Promise<DecisionTrace | null> {
    const snap = await this.graph.getState(this.config);
    if (snap.next.length === 0) return null;
    const out = (await this.graph.invoke(null, { ...this.config, durability: this.durability })) as CycleState;
    return out.trace;
  }

  /** The cycle state saved for this coach's thread (empty before the first cycle). */
  async saved(): Promise<Partial<CycleState>> {
    return (await this.graph.getState(this.config)).values as Partial<CycleState>;
  }

  async version(): Promise<number> {
    return (await this.saved()).version ?? 0;
  }

  /** The next guidance gets a version above `v`. */
  async raiseVersionFloor(v: number): Promise<void> {
    if ((await this.version()) >= v) return;
    await this.graph.updateState(this.config, { version: v });
  }
}
