/**
 * The coach as a service: consumes `ppo_state` through its consumer group, runs one decision cycle per state,
 * publishes guidance on `coach_guidance`, each cycle's trace on `coach_trace`, and a heartbeat on
 * `coach_heartbeat` (R15). With a durable checkpointer a coach killed mid-graph resumes its thread on start and
 * finishes the interrupted cycle; the version floor is then raised to the latest guidance on the bus, so the
 * published version never goes backwards (R18). Runs until `signal` aborts.
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { entryTime, type Bus } from "../bus/bus.js";
import { consume } from "../bus/consume.js";
import { parseGuidance, type CoachHeartbeat } from "../bus/messages.js";
import { Coach } from "./coach.js";
import type { CycleState, DecisionTrace, PhaseName } from "./cycle.js";
import type { SubgoalLlm } from "./llm.js";
import type { RuleSet } from "./rules.js";

export interface CoachServiceOptions {
  readonly bus: Bus;
  readonly rules: RuleSet;
  readonly checkpointer: BaseCheckpointSaver;
  readonly coachId?: string;
  readonly llm?: SubgoalLlm | null;
  readonly signal: AbortSignal;
  /** Consumer group on ppo_state. Default "coach". */
  readonly group?: string;
  readonly heartbeatMs?: number;
  readonly blockMs?: number;
  readonly log?: (line: string) => void;
  /** Every trace, as it is made. */
  readonly onTrace?: (trace: DecisionTrace) => void;
  /**
   * Checkpoint pruning (a checkpointer with a `prune({ keep })` method, such as LibsqlSaver): every `everyCycles`
   * cycles, keep the newest `keep` checkpoints of the coach's thread (and what they refer to), delete the rest.
   * Default DEFAULT_PRUNE; null: never (the database then grows by a few checkpoints per cycle).
   */
  readonly prune?: PruneSettings | null;
  /** Test hook: called on entering each phase of the cycle. */
  readonly onPhase?: (phase: PhaseName, s: CycleState) => void | Promise<void>;
}

export interface PruneSettings {
  /** Prune after every this many cycles (≥ 1). */
  readonly everyCycles: number;
  /** Checkpoints kept per thread (≥ 1; resume needs only the newest). */
  readonly keep: number;
}

/** Every 50 cycles keep the newest 16 checkpoints (5 rule-path cycles' worth at sync durability): the file stays bounded. */
export const DEFAULT_PRUNE: PruneSettings = { everyCycles: 50, keep: 16 };

interface Prunable {
  prune(opts: { keep: number; threadId?: string }): Promise<{ checkpoints: number; writes: number; blobs: number }>;
}
const prunable = (c: BaseCheckpointSaver): c is BaseCheckpointSaver & Prunable => typeof (c as Partial<Prunable>).prune === "function";

export interface CoachServiceStats {
  /** Checkpoints deleted by pruning. */
  pruned: number;
  cycles: number;
  published: number;
  dropped: number;
  resumed: boolean;
  version: number;
}

/** One line per cycle for the service's log. */
export function traceLine(t: DecisionTrace): string {
  const g = t.guidance;
  const what = g ? `${g.guidance}=${g.value} v${g.version} until ${new Date(g.expiresAt).toISOString()}` : t.output;
  return `cycle ${t.cycle} seq ${t.stateSeq ?? "-"}: ${t.decision} → ${what} (${t.why})`;
}

export async function runCoachService(opts: CoachServiceOptions): Promise<CoachServiceStats> {
  const { bus, signal } = opts;
  const log = opts.log ?? (() => {});
  const coachId = opts.coachId ?? "coach-1";
  const stats: CoachServiceStats = { cycles: 0, published: 0, dropped: 0, resumed: false, version: 0, pruned: 0 };
  const prune = opts.prune === undefined ? DEFAULT_PRUNE : opts.prune;
  if (prune !== null && !(Number.isInteger(prune.everyCycles) && prune.everyCycles >= 1 && Number.isInteger(prune.keep) && prune.keep >= 1)) {
    throw new RangeError(`runCoachService: prune needs integers everyCycles ≥ 1 and keep ≥ 1, got ${JSON.stringify(prune)}`);
  }
  const saver = opts.checkpointer;
  let sincePrune = 0;
  const maybePrune = async (): Promise<void> => {
    if (prune === null || !prunable(saver) || ++sincePrune < prune.everyCycles) return;
    sincePrune = 0;
    const r = await saver.prune({ keep: prune.keep, threadId: coachId });
    stats.pruned += r.checkpoints;
  };
  const coach = new Coach({
    rules: opts.rules,
    coachId,
    llm: opts.llm ?? null,
    checkpointer: opts.checkpointer,
    publish: async (g) => {
      const id = await bus.publish("coach_guidance", JSON.stringify(g));
      if (id === null) stats.dropped++;
      else stats.published++;
      return id !== null;
    },
    ...(opts.onPhase ? { onPhase: opts.onPhase } : {}),
  });
  const emit = async (t: DecisionTrace): Promise<void> => {
    stats.cycles++;
    opts.onTrace?.(t);
    await bus.publish("coach_trace", JSON.stringify(t));
    log(traceLine(t));
  };

  const resumed = await coach.resume();
  if (resumed !== null) {
    stats.resumed = true;
    log(`resumed an interrupted cycle from the checkpoint`);
    await emit(resumed);
  }
  // The bus may hold a newer version than the checkpoint (a lost or older checkpoint file): never reuse a version.
  const latest = await bus.latest("coach_guidance").catch(() => null);
  if (latest !== null) {
    const p = parseGuidance(latest);
    if (p.ok && p.message.form === "v1" && p.message.coachId === coachId) await coach.raiseVersionFloor(p.message.version);
  }
  stats.version = await coach.version();
  const group = opts.group ?? "coach";
  await bus.ensureGroup("ppo_state", group, "$");
  log(`coach ${coachId}: rules ${opts.rules.file} (${opts.rules.rules.length} rules, ${opts.rules.chunks.length} chunks), llm ${opts.llm?.spec ?? "off"}, version ${stats.version}`);

  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const beat = async (status: string): Promise<void> => {
    const hb: CoachHeartbeat = { schemaVersion: 1, coachId, ts: Date.now(), version: stats.version, cycles: stats.cycles, status, llm: opts.llm?.spec ?? null, periodMs: heartbeatMs };
    await bus.publish("coach_heartbeat", JSON.stringify(hb), { latestTtlMs: 3 * heartbeatMs });
  };
  await beat("ok");
  const timer = setInterval(() => void beat(bus.connected ? "ok" : "bus_down"), heartbeatMs);
  try {
    await consume(bus, "ppo_state", {
      group,
      consumer: coachId,
      signal,
      blockMs: opts.blockMs ?? 1_000,
      handler: async (entry) => {
        const t = await coach.step(entry.json, Date.now(), entryTime(entry.id));
        stats.version = Math.max(stats.version, t.guidance?.version ?? 0);
        await emit(t);
        // Between cycles: the graph is at rest, and the newest checkpoint is the finished cycle's.
        await maybePrune().catch((err: unknown) => log(`checkpoint prune failed (the coach goes on): ${err instanceof Error ? err.message : String(err)}`));
      },
      onError: (err, where) => log(`${where} error: ${err instanceof Error ? err.message : String(err)}`),
    });
  } finally {
    clearInterval(timer);
  }
  await beat("stopped").catch(() => {});
  return stats;
}
