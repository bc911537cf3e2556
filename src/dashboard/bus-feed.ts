/**
 * The bus as a source of the dashboard: every topic's pub/sub channel (live, at-most-once) and its `:latest` key
 * (read at start and again after every reconnect: R12, so a dashboard that joins late or rides out an outage
 * shows the last state, guidance and heartbeats at once). Every message is validated with the bus's own strict
 * parsers before it reaches the model (untrusted input, even from our own services); a refused message is
 * counted and named in the health line, never shown.
 */
import { entryTime, type Bus, type Subscription } from "../bus/bus.js";
import { describeRejection, parseGuidance, parseHeartbeat, parsePpoState, type Parsed, type Topic } from "../bus/messages.js";
import { parseControl, parseControlAck, parseTraderHeartbeat } from "../bus/trader-messages.js";
import type { DashboardModel } from "./model.js";

/** The topics the dashboard reads. */
export const DASHBOARD_TOPICS = ["ppo_state", "trader_heartbeat", "trader_control", "trader_control_ack", "coach_guidance", "coach_heartbeat", "coach_trace"] as const satisfies readonly Topic[];

/** Feeds one message of `topic` to the model (parsing it first; a refusal is counted and named, never shown). */
export function feedMessage(model: DashboardModel, topic: Topic, json: string, receivedAt: number): void {
  const apply = <T>(p: Parsed<T>, to: (m: T, at: number) => unknown): void => {
    if (p.ok) to(p.message, receivedAt);
    else model.rejected(describeRejection(p.rejection));
  };
  switch (topic) {
    case "ppo_state":
      return apply(parsePpoState(json), (m, at) => model.ppoState(m, at));
    case "trader_heartbeat":
      return apply(parseTraderHeartbeat(json), (m, at) => model.traderHeartbeat(m, at));
    case "trader_control":
      return apply(parseControl(json), (m, at) => model.control(m, at));
    case "trader_control_ack":
      return apply(parseControlAck(json), (m, at) => model.controlAck(m, at));
    case "coach_guidance":
      return apply(parseGuidance(json), (m, at) => model.guidance(m, at));
    case "coach_heartbeat":
      return apply(parseHeartbeat(json), (m, at) => model.coachHeartbeat(m, at));
    case "coach_trace":
      return void model.trace(json, receivedAt);
  }
}

export interface BusFeedOptions {
  readonly now?: () => number;
  /** How often the connection is checked (ms): a reconnect re-reads the latest keys. Default 250. */
  readonly checkMs?: number;
  readonly log?: (line: string) => void;
  /**
   * History read from the streams at start, for a dashboard that joins late with no journal: the newest `backfill`
   * ppo_state entries and the newest `backfill / 10` guidance messages (the streams are bounded: DEFAULT_MAX_LEN).
   * 0 (default): none.
   */
  readonly backfill?: number;
}

/** Subscribes the model to the bus. `stop()` unsubscribes (the bus itself is the caller's to close). */
export class BusFeed {
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  private wasConnected = false;
  private readonly historyTail = new Map<Topic, string>();
  private readonly now: () => number;

  constructor(
    private readonly bus: Bus,
    private readonly model: DashboardModel,
    private readonly opts: BusFeedOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    // History first, then live: a message published in between is still read by readLatest below.
    if (this.bus.connected && (this.opts.backfill ?? 0) > 0) await this.readHistory(this.opts.backfill!);
    for (const topic of DASHBOARD_TOPICS) {
      this.subs.push(await this.bus.subscribe(topic, (json) => feedMessage(this.model, topic, json, this.now())));
    }
    this.wasConnected = this.bus.connected;
    this.model.busStatus(this.bus.connected, this.now());
    if (this.bus.connected) await this.readLatest();
    this.timer = setInterval(() => void this.check(), this.opts.checkMs ?? 250);
    this.timer.unref();
  }

  /** Each stream's newest entries, oldest first, stamped with the time they entered the stream (their id). */
  async readHistory(count: number): Promise<void> {
    for (const [topic, n] of [["ppo_state", count], ["coach_guidance", Math.ceil(count / 10)]] as const) {
      try {
        const entries = await this.bus.recent(topic, n);
        for (const e of entries) feedMessage(this.model, topic, e.json, entryTime(e.id) ?? this.now());
        const last = entries.at(-1);
        if (last !== undefined) this.historyTail.set(topic, last.json);
        if (entries.length > 0) this.opts.log?.(`dashboard: ${entries.length} ${topic} message(s) read from the stream's history`);
      } catch (err) {
        this.opts.log?.(`dashboard: reading ${topic}'s history failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Each topic's last message (late joiner, after an outage). Acks and controls are history, not state: skipped. */
  async readLatest(): Promise<void> {
    for (const topic of ["ppo_state", "trader_heartbeat", "coach_guidance", "coach_heartbeat", "coach_trace"] as const) {
      try {
        const json = await this.bus.latest(topic);
        // The latest message is the history's last one right after a backfill: fed once, not twice.
        if (json !== null && json !== this.historyTail.get(topic)) feedMessage(this.model, topic, json, this.now());
        this.historyTail.delete(topic);
      } catch (err) {
        this.opts.log?.(`dashboard: reading ${topic}:latest failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async check(): Promise<void> {
    const up = this.bus.connected;
    this.model.busStatus(up, this.now());
    if (up && !this.wasConnected) {
      this.opts.log?.("dashboard: Redis is back: re-reading the latest state");
      this.wasConnected = true;
      await this.readLatest();
    } else if (!up && this.wasConnected) {
      this.opts.log?.("dashboard: Redis is down: the page flags trader and coach as down until it is back");
      this.wasConnected = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.subs.splice(0)) await s.close().catch(() => undefined);
  }
}
