/**
 * The in-memory bus: the same streams, groups, pending lists, dead letters, channels and latest keys as Redis,
 * in one process. `MemoryStreams` is the synchronous core (a backtest steps the coach through it tick by tick,
 * deterministically); `MemoryBus` wraps it in the async `Bus` interface.
 */
import { DEAD_LETTER_MAX_LEN, DEFAULT_MAX_LEN, newCounters, type Bus, type BusCounters, type DeadLetter, type PublishOptions, type ReadGroupOptions, type StreamEntry, type Subscription } from "./bus.js";
import type { Topic } from "./messages.js";

interface Entry {
  readonly id: string;
  readonly seq: number;
  readonly json: string;
}
interface PendingInfo {
  consumer: string;
  deliveries: number;
  deliveredAt: number;
}
interface Group {
  /** Seq of the last entry delivered as new. */
  lastSeq: number;
  readonly pending: Map<string, PendingInfo>;
}
interface Stream {
  entries: Entry[];
  readonly byId: Map<string, Entry>;
  readonly groups: Map<string, Group>;
  readonly dead: DeadLetter[];
  nextSeq: number;
}

export interface MemoryStreamsOptions {
  readonly maxLen?: Partial<Record<Topic, number>>;
  /** Clock for entry ids and idle times (a backtest passes the tick's time). Default Date.now. */
  readonly now?: () => number;
}

export class MemoryStreams {
  private readonly streams = new Map<Topic, Stream>();
  private readonly latestValues = new Map<Topic, { json: string; expiresAt: number }>();
  private readonly listeners = new Map<Topic, Set<(json: string) => void>>();
  private readonly waiters = new Set<() => void>();
  private lastMs = 0;
  private lastN = 0;
  readonly counters: BusCounters = newCounters();
  private readonly now: () => number;

  constructor(private readonly opts: MemoryStreamsOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  private stream(topic: Topic): Stream {
    let s = this.streams.get(topic);
    if (s === undefined) {
      s = { entries: [], byId: new Map(), groups: new Map(), dead: [], nextSeq: 1 };
      this.streams.set(topic, s);
    }
    return s;
  }

  private nextId(): string {
    const ms = Math.max(this.now(), this.lastMs);
    this.lastN = ms === this.lastMs ? this.lastN + 1 : 0;
    this.lastMs = ms;
    return `${ms}-${this.lastN}`;
  }

  publish(topic: Topic, json: string, opts: PublishOptions = {}): string {
    const s = this.stream(topic);
    const id = this.nextId();
    const entry = { id, seq: s.nextSeq++, json };
    s.entries.push(entry);
    s.byId.set(id, entry);
    const max = this.opts.maxLen?.[topic] ?? DEFAULT_MAX_LEN[topic];
    // Trim in batches (like MAXLEN ~): amortised O(1) per publish.
    if (s.entries.length > max + Math.max(1, max >> 3)) {
      for (const e of s.entries.splice(0, s.entries.length - max)) s.byId.delete(e.id);
    }
    this.latestValues.set(topic, { json, expiresAt: opts.latestTtlMs === undefined ? Infinity : this.now() + opts.latestTtlMs });
    this.counters.published++;
    for (const l of this.listeners.get(topic) ?? []) l(json);
    for (const w of [...this.waiters]) w();
    return id;
  }

  latest(topic: Topic): string | null {
    const v = this.latestValues.get(topic);
    if (v === undefined || this.now() >= v.expiresAt) return null;
    return v.json;
  }

  subscribe(topic: Topic, onMessage: (json: string) => void): () => void {
    let set = this.listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(onMessage);
    const own = set;
    return () => own.delete(onMessage);
  }

  ensureGroup(topic: Topic, group: string, start: "0" | "$" = "$"): void {
    const s = this.stream(topic);
    if (s.groups.has(group)) return;
    s.groups.set(group, { lastSeq: start === "0" ? 0 : s.nextSeq - 1, pending: new Map() });
  }

  private group(topic: Topic, group: string): Group {
    const g = this.stream(topic).groups.get(group);
    if (g === undefined) throw new Error(`NOGROUP no such consumer group "${group}" for stream "${topic}"`);
    return g;
  }

  readGroup(topic: Topic, group: string, consumer: string, from: "pending" | "new", count: number): StreamEntry[] {
    const s = this.stream(topic);
    const g = this.group(topic, group);
    const out: StreamEntry[] = [];
    const t = this.now();
    if (from === "pending") {
      // The pending list, in id order (a Map keeps insertion order; claims can reorder it, so sort).
      const ids = [...g.pending.entries()].filter(([, p]) => p.consumer === consumer).map(([id]) => s.byId.get(id)).filter((e): e is Entry => e !== undefined);
      ids.sort((a, b) => a.seq - b.seq);
      for (const e of ids) {
        if (out.length >= count) break;
        const p = g.pending.get(e.id)!;
        p.deliveries++;
        p.deliveredAt = t;
        out.push({ id: e.id, json: e.json, deliveries: p.deliveries });
      }
      return out;
    }
    // Entries are in seq order: start after the group's last delivered one.
    let lo = 0;
    let hi = s.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.entries[mid]!.seq <= g.lastSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < s.entries.length && out.length < count; i++) {
      const e = s.entries[i]!;
      g.lastSeq = e.seq;
      g.pending.set(e.id, { consumer, deliveries: 1, deliveredAt: t });
      out.push({ id: e.id, json: e.json, deliveries: 1 });
    }
    return out;
  }

  ack(topic: Topic, group: string, ids: readonly string[]): number {
    const g = this.group(topic, group);
    let n = 0;
    for (const id of ids) if (g.pending.delete(id)) n++;
    this.counters.acked += n;
    return n;
  }

  claimStale(topic: Topic, group: string, consumer: string, minIdleMs: number, count: number): StreamEntry[] {
    const s = this.stream(topic);
    const g = this.group(topic, group);
    const t = this.now();
    const out: StreamEntry[] = [];
    for (const e of s.entries) {
      if (out.length >= count) break;
      const p = g.pending.get(e.id);
      if (p === undefined || t - p.deliveredAt < minIdleMs) continue;
      p.consumer = consumer;
      p.deliveries++;
      p.deliveredAt = t;
      out.push({ id: e.id, json: e.json, deliveries: p.deliveries });
    }
    // Pending ids whose entries were trimmed away: drop them, as XAUTOCLAIM does.
    for (const id of g.pending.keys()) if (!s.byId.has(id)) g.pending.delete(id);
    return out;
  }

  deadLetter(topic: Topic, group: string, entry: StreamEntry, reason: string): void {
    const s = this.stream(topic);
    s.dead.push({ id: this.nextId(), sourceId: entry.id, group, deliveries: entry.deliveries, reason, json: entry.json });
    if (s.dead.length > DEAD_LETTER_MAX_LEN) s.dead.splice(0, s.dead.length - DEAD_LETTER_MAX_LEN);
    this.counters.deadLettered++;
    this.ack(topic, group, [entry.id]);
  }

  deadLetters(topic: Topic, count = 100): DeadLetter[] {
    return this.stream(topic).dead.slice(-count);
  }

  pendingCount(topic: Topic, group: string): number {
    return this.group(topic, group).pending.size;
  }

  streamLength(topic: Topic): number {
    return this.stream(topic).entries.length;
  }

  recent(topic: Topic, count: number): StreamEntry[] {
    if (!(count > 0)) return [];
    return this.stream(topic).entries.slice(-Math.floor(count)).map((e) => ({ id: e.id, json: e.json, deliveries: 0 }));
  }

  /** Resolves after the next publish on any topic, or after `ms`. */
  waitForPublish(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

export class MemoryBus implements Bus {
  readonly kind = "memory" as const;
  readonly streams: MemoryStreams;
  private closed = false;

  constructor(opts: MemoryStreamsOptions | MemoryStreams = {}) {
    this.streams = opts instanceof MemoryStreams ? opts : new MemoryStreams(opts);
  }
  get counters(): BusCounters {
    return this.streams.counters;
  }
  get connected(): boolean {
    return !this.closed;
  }
  private check(): void {
    if (this.closed) throw new Error("bus closed");
  }
  async publish(topic: Topic, json: string, opts?: PublishOptions): Promise<string | null> {
    if (this.closed) {
      this.counters.publishDropped++;
      return null;
    }
    return this.streams.publish(topic, json, opts);
  }
  async latest(topic: Topic): Promise<string | null> {
    this.check();
    return this.streams.latest(topic);
  }
  async subscribe(topic: Topic, onMessage: (json: string) => void): Promise<Subscription> {
    this.check();
    const off = this.streams.subscribe(topic, onMessage);
    return { close: async () => off() };
  }
  async ensureGroup(topic: Topic, group: string, start?: "0" | "$"): Promise<void> {
    this.check();
    this.streams.ensureGroup(topic, group, start);
  }
  async readGroup(topic: Topic, group: string, consumer: string, opts: ReadGroupOptions): Promise<StreamEntry[]> {
    this.check();
    let out = this.streams.readGroup(topic, group, consumer, opts.from, opts.count);
    if (out.length === 0 && opts.from === "new" && opts.blockMs > 0) {
      await this.streams.waitForPublish(opts.blockMs);
      this.check();
      out = this.streams.readGroup(topic, group, consumer, opts.from, opts.count);
    }
    return out;
  }
  async ack(topic: Topic, group: string, ids: readonly string[]): Promise<number> {
    this.check();
    return this.streams.ack(topic, group, ids);
  }
  async claimStale(topic: Topic, group: string, consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]> {
    this.check();
    return this.streams.claimStale(topic, group, consumer, minIdleMs, count);
  }
  async deadLetter(topic: Topic, group: string, entry: StreamEntry, reason: string): Promise<void> {
    this.check();
    this.streams.deadLetter(topic, group, entry, reason);
  }
  async deadLetters(topic: Topic, count?: number): Promise<DeadLetter[]> {
    this.check();
    return this.streams.deadLetters(topic, count);
  }
  async pendingCount(topic: Topic, group: string): Promise<number> {
    this.check();
    return this.streams.pendingCount(topic, group);
  }
  async streamLength(topic: Topic): Promise<number> {
    this.check();
    return this.streams.streamLength(topic);
  }
  async recent(topic: Topic, count: number): Promise<StreamEntry[]> {
    this.check();
    return this.streams.recent(topic, count);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
