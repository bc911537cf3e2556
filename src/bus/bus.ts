/**
 * The bus between the trader, the coach and the dashboard. One interface, two implementations (Redis, and an
 * in-memory one for backtests, notebooks and tests), chosen by one config field (`createBus`).
 *
 * Each topic is three things of the same name (docs/bus.md):
 *   a stream `<topic>`          durable, bounded, read through consumer groups: at-least-once, ack after apply;
 *   a pub/sub channel `<topic>` the same JSON for simple subscribers: at-most-once (nothing while disconnected);
 *   a key `<topic>:latest`      the last message, for a late joiner or after an outage.
 * Poison entries go to the stream `<topic>:dead`. Every entry is one field, `json`, holding the message text.
 * The bus moves text: validating it is the receiver's job (src/bus/messages.ts).
 */
import type { Topic } from "./messages.js";

/** One stream entry as a consumer sees it. */
export interface StreamEntry {
  /** The stream entry id ("<ms>-<n>"). */
  readonly id: string;
  /** The message text (the entry's `json` field; "" when the entry has none). */
  readonly json: string;
  /** How many times the group delivered it (1 on first delivery). */
  readonly deliveries: number;
}

/** An entry moved to the dead-letter stream. */
/** The time in a stream entry id ("<ms>-<n>"): when the entry was added (null when the id says none). */
export function entryTime(id: string): number | null {
  const ms = Number(id.slice(0, id.indexOf("-")));
  return id.includes("-") && Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}

export interface DeadLetter {
  readonly id: string;
  readonly sourceId: string;
  readonly group: string;
  readonly deliveries: number;
  readonly reason: string;
  readonly json: string;
}

export interface PublishOptions {
  /** Expire the `:latest` key after this long (a heartbeat). Default: never. */
  readonly latestTtlMs?: number;
}

export interface ReadGroupOptions {
  /** "pending": this consumer's delivered-but-unacked entries (id 0); "new": entries never delivered (id >). */
  readonly from: "pending" | "new";
  readonly count: number;
  /** Wait up to this long for new entries (0: do not wait). Always finite (R15). */
  readonly blockMs: number;
}

/** What the bus did, for logs, the heartbeat and the dashboard. */
export interface BusCounters {
  published: number;
  /** Publishes dropped because the bus was down (never queued for later: no stale burst on reconnect, R14). */
  publishDropped: number;
  acked: number;
  deadLettered: number;
  /** Connection errors seen (each is handled: the bus reconnects). */
  errors: number;
  reconnects: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  /** "memory" or "redis" (shared code reads this property, never the class). */
  readonly kind: "memory" | "redis";
  readonly counters: BusCounters;
  /** True while the bus can serve commands. */
  readonly connected: boolean;
  /** Appends to the stream, publishes on the channel, sets the latest key. Returns the entry id; null when dropped. */
  publish(topic: Topic, json: string, opts?: PublishOptions): Promise<string | null>;
  /** The last message published on the topic (null: none, or expired). */
  latest(topic: Topic): Promise<string | null>;
  /** Pub/sub: every message published from now on (none while disconnected; resubscribes after a reconnect). */
  subscribe(topic: Topic, onMessage: (json: string) => void): Promise<Subscription>;
  /**
   * Creates the consumer group if it does not exist. `start`: "$" (only entries added from now; the default) or
   * "0" (the whole stream). A group that exists keeps its position.
   */
  ensureGroup(topic: Topic, group: string, start?: "0" | "$"): Promise<void>;
  readGroup(topic: Topic, group: string, consumer: string, opts: ReadGroupOptions): Promise<StreamEntry[]>;
  /** Acknowledges entries (after they were applied). Returns how many were pending. */
  ack(topic: Topic, group: string, ids: readonly string[]): Promise<number>;
  /** Takes over entries pending for more than `minIdleMs` in other consumers (a consumer that died). */
  claimStale(topic: Topic, group: string, consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]>;
  /** Copies the entry to `<topic>:dead` with the reason, then acks it. */
  deadLetter(topic: Topic, group: string, entry: StreamEntry, reason: string): Promise<void>;
  deadLetters(topic: Topic, count?: number): Promise<DeadLetter[]>;
  /** Entries delivered to the group and not yet acked. */
  pendingCount(topic: Topic, group: string): Promise<number>;
  streamLength(topic: Topic): Promise<number>;
  /** The stream's newest `count` entries, oldest first (a late joiner's history; the stream is bounded, DEFAULT_MAX_LEN). */
  recent(topic: Topic, count: number): Promise<StreamEntry[]>;
  close(): Promise<void>;
}

/** Stream lengths kept (approximately, `MAXLEN ~`): enough for a day of minute ticks, bounded memory. */
export const DEFAULT_MAX_LEN: Readonly<Record<Topic, number>> = {
  ppo_state: 10_000,
  coach_guidance: 1_000,
  coach_heartbeat: 100,
  coach_trace: 1_000,
  trader_control: 1_000,
  trader_control_ack: 1_000,
  trader_heartbeat: 100,
};
export const DEAD_LETTER_MAX_LEN = 1_000;

export const latestKey = (ns: string, topic: Topic): string => `${ns}${topic}:latest`;
export const deadKey = (ns: string, topic: Topic): string => `${ns}${topic}:dead`;

export function newCounters(): BusCounters {
  return { published: 0, publishDropped: 0, acked: 0, deadLettered: 0, errors: 0, reconnects: 0 };
}
