/**
 * The bus on Redis (ioredis). Three kinds of connection, each with the settings its job needs:
 *   commands   XADD/PUBLISH/SET, acks, reads without blocking: no offline queue (a publish while Redis is down is
 *              dropped and counted, never replayed as a stale burst later: R14), a command timeout, one try;
 *   blocking   one per consumer, for XREADGROUP BLOCK (finite) with ioredis' blocking timeout and a socket
 *              timeout, so a half-open connection returns within its bound and is recycled (R15);
 *   subscriber pub/sub, resubscribed automatically after a reconnect (R12).
 * Every connection has an `error` listener (an unhandled `error` event would crash the process) and reconnects
 * with a capped backoff, forever: Redis restarting is an outage to ride out, not a reason to stop.
 *
 * Publishes are coalesced: those issued in the same tick of the event loop (before any of them is sent) go out as
 * one MULTI … EXEC per topic, in call order — each message's XADD and PUBLISH, then one SET of the `:latest` key to
 * the last of them. A lone publish goes out at the end of the current tick, alone; many publishers in flight share
 * round trips and transactions (docs/bus.md, "Throughput"). Each publish still gets its own entry id, or null when
 * its transaction failed (dropped and counted, never retried: R14).
 */
import { Redis, type RedisOptions } from "ioredis";
import { DEAD_LETTER_MAX_LEN, DEFAULT_MAX_LEN, deadKey, latestKey, newCounters, type Bus, type BusCounters, type DeadLetter, type PublishOptions, type ReadGroupOptions, type StreamEntry, type Subscription } from "./bus.js";
import type { Topic } from "./messages.js";

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] */
  readonly url: string;
  /** Prefix of every key and channel (paper and live runs use different ones). Default "". */
  readonly namespace?: string;
  readonly maxLen?: Partial<Record<Topic, number>>;
  /** A command that gets no reply within this long fails (ms). Default 2000. */
  readonly commandTimeoutMs?: number;
  /** Longest wait between reconnect attempts (ms). Default 1000. */
  readonly maxReconnectDelayMs?: number;
  /** Called on each connection error (already counted and handled). */
  readonly onError?: (err: Error, connection: string) => void;
  /** Called each time a connection is ready (its first connect and every reconnect). */
  readonly onReady?: (connection: string) => void;
}

/** At most this many messages per coalesced MULTI (a larger burst is split into several, in order). */
export const PUBLISH_BATCH_MAX = 256;

interface QueuedPublish {
  readonly topic: Topic;
  readonly json: string;
  readonly opts: PublishOptions;
  readonly resolve: (id: string | null) => void;
}

export class RedisBus implements Bus {
  readonly kind = "redis" as const;
  readonly counters: BusCounters = newCounters();
  private readonly ns: string;
  private readonly commands: Redis;
  private readonly blocking = new Map<string, Redis>();
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<(json: string) => void>>();
  private readonly base: RedisOptions;
  private closed = false;
  private queued: QueuedPublish[] = [];
  private flushScheduled = false;
  /** Coalesced transactions sent (tests and the bench read it). */
  publishBatches = 0;

  constructor(private readonly opts: RedisBusOptions) {
    this.ns = opts.namespace ?? "";
    const maxDelay = opts.maxReconnectDelayMs ?? 1000;
    this.base = {
      lazyConnect: false,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      maxRetriesPerRequest: 1,
    };
    this.commands = this.connection("commands", { enableOfflineQueue: false, commandTimeout: opts.commandTimeoutMs ?? 2_000 });
  }

  private connection(name: string, extra: RedisOptions): Redis {
    const c = new Redis(this.opts.url, { ...this.base, ...extra, connectionName: `drl-${name}` });
    let wasReady = false;
    c.on("error", (err: Error) => {
      this.counters.errors++;
      this.opts.onError?.(err, name);
    });
    c.on("ready", () => {
      if (wasReady) this.counters.reconnects++;
      wasReady = true;
      this.opts.onReady?.(name);
    });
    return c;
  }

  get connected(): boolean {
    return this.commands.status === "ready";
  }

  /** Resolves once the command connection is ready, or rejects after `timeoutMs`. */
  async waitReady(timeoutMs = 5_000): Promise<void> {
    if (this.commands.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commands.off("ready", onReady);
        reject(new Error(`Redis at ${redactUrl(this.opts.url)} not ready within ${timeoutMs} ms (status ${this.commands.status})`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.commands.once("ready", onReady);
    });
  }

  private key(topic: Topic): string {
    return `${this.ns}${topic}`;
  }

  publish(topic: Topic, json: string, opts: PublishOptions = {}): Promise<string | null> {
    return new Promise((resolve) => {
      this.queued.push({ topic, json, opts, resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flushPublishes());
      }
    });
  }

  /** Sends what was queued this tick: one transaction per topic (an ACL that refuses one topic fails only its own). */
  private flushPublishes(): void {
    this.flushScheduled = false;
    const queued = this.queued;
    this.queued = [];
    const byTopic = new Map<Topic, QueuedPublish[]>();
    for (const q of queued) {
      const list = byTopic.get(q.topic);
      if (list === undefined) byTopic.set(q.topic, [q]);
      else list.push(q);
    }
    for (const list of byTopic.values()) {
      for (let i = 0; i < list.length; i += PUBLISH_BATCH_MAX) void this.sendPublishes(list.slice(i, i + PUBLISH_BATCH_MAX));
    }
  }

  private async sendPublishes(batch: readonly QueuedPublish[]): Promise<void> {
    const topic = batch[0]!.topic;
    const key = this.key(topic);
    const max = this.opts.maxLen?.[topic] ?? DEFAULT_MAX_LEN[topic];
    let ids: Array<string | null>;
    try {
      const multi = this.commands.multi();
      for (const q of batch) multi.xadd(key, "MAXLEN", "~", max, "*", "json", q.json).publish(key, q.json);
      const lastOne = batch[batch.length - 1]!;
      if (lastOne.opts.latestTtlMs === undefined) multi.set(latestKey(this.ns, topic), lastOne.json);
      else multi.set(latestKey(this.ns, topic), lastOne.json, "PX", Math.max(1, Math.round(lastOne.opts.latestTtlMs)));
      this.publishBatches++;
      const res = await multi.exec();
      if (res === null) throw new Error("transaction aborted");
      ids = batch.map((_, k) => {
        const [err, id] = res[2 * k]!;
        return err ? null : String(id);
      });
    } catch {
      ids = batch.map(() => null);
    }
    batch.forEach((q, k) => {
      const id = ids[k]!;
      if (id === null) this.counters.publishDropped++;
      else this.counters.published++;
      q.resolve(id);
    });
  }

  async latest(topic: Topic): Promise<string | null> {
    return this.commands.get(latestKey(this.ns, topic));
  }

  async subscribe(topic: Topic, onMessage: (json: string) => void): Promise<Subscription> {
    const channel = this.key(topic);
    if (this.subscriber === null) {
      // The offline queue stays on here: a SUBSCRIBE issued during an outage is sent on reconnect.
      const sub = this.connection("subscriber", { autoResubscribe: true, maxRetriesPerRequest: null });
      sub.on("message", (ch: string, message: string) => {
        for (const l of this.listeners.get(ch) ?? []) l(message);
      });
      this.subscriber = sub;
    }
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(onMessage);
    const own = set;
    return {
      close: async () => {
        own.delete(onMessage);
        if (own.size === 0) {
          this.listeners.delete(channel);
          if (this.subscriber !== null && this.subscriber.status === "ready") await this.subscriber.unsubscribe(channel).catch(() => {});
        }
      },
    };
  }

  async ensureGroup(topic: Topic, group: string, start: "0" | "$" = "$"): Promise<void> {
    try {
      await this.commands.xgroup("CREATE", this.key(topic), group, start, "MKSTREAM");
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith("BUSYGROUP"))) throw err;
    }
  }

  /**
   * One blocking connection per (stream, consumer): two loops of one consumer name on different streams (the
   * trader's guidance and control consumers) must not queue their BLOCK reads behind each other on one socket, or
   * the second read outlives its blocking timeout, resolves empty, and the entry Redis delivered meanwhile sits in
   * the pending list until a reclaim.
   */
  private blockingConnection(key: string, consumer: string, blockMs: number): Redis {
    let c = this.blocking.get(`${key} ${consumer}`);
    if (c === undefined) {
      c = this.connection(`blocking-${consumer}`, {
        enableOfflineQueue: false,
        blockingTimeout: blockMs + 1_000,
        socketTimeout: blockMs + 5_000,
        commandTimeout: undefined,
      });
      this.blocking.set(`${key} ${consumer}`, c);
    }
    return c;
  }

  async readGroup(topic: Topic, group: string, consumer: string, opts: ReadGroupOptions): Promise<StreamEntry[]> {
    const key = this.key(topic);
    const id = opts.from === "pending" ? "0" : ">";
    const block = opts.from === "new" && opts.blockMs > 0;
    const conn = block ? this.blockingConnection(key, consumer, opts.blockMs) : this.commands;
    // A fresh (or reconnecting) blocking connection: wait for it, within the read's own bound.
    if (conn.status !== "ready") await readyWithin(conn, Math.max(opts.blockMs, 200));
    const args: Array<string | number> = ["GROUP", group, consumer, "COUNT", opts.count];
    if (block) args.push("BLOCK", opts.blockMs);
    args.push("STREAMS", key, id);
    const reply = (await conn.call("XREADGROUP", ...args)) as Array<[string, Array<[string, string[] | null]>]> | null;
    const raw = reply?.[0]?.[1] ?? [];
    if (raw.length === 0) return [];
    let deliveries = new Map<string, number>();
    if (opts.from === "pending") deliveries = await this.deliveryCounts(key, group, raw[0]![0], raw[raw.length - 1]![0], raw.length, consumer);
    return raw.map(([entryId, fields]) => ({ id: entryId, json: fieldOf(fields, "json"), deliveries: deliveries.get(entryId) ?? 1 }));
  }

  private async deliveryCounts(key: string, group: string, first: string, last: string, count: number, consumer: string): Promise<Map<string, number>> {
    const rows = (await this.commands.xpending(key, group, first, last, count, consumer)) as Array<[string, string, number, number]>;
    return new Map(rows.map((r) => [r[0], Number(r[3])]));
  }

  async ack(topic: Topic, group: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const n = await this.commands.xack(this.key(topic), group, ...ids);
    this.counters.acked += n;
    return n;
  }

  async claimStale(topic: Topic, group: string, consumer: string, minIdleMs: number, count: number): Promise<StreamEntry[]> {
    const key = this.key(topic);
    const reply = (await this.commands.xautoclaim(key, group, consumer, minIdleMs, "0-0", "COUNT", count)) as [string, Array<[string, string[] | null] | null>, string[]?];
    const claimed = (reply[1] ?? []).filter((e): e is [string, string[] | null] => e !== null);
    if (claimed.length === 0) return [];
    const deliveries = await this.deliveryCounts(key, group, claimed[0]![0], claimed[claimed.length - 1]![0], claimed.length, consumer);
    return claimed.map(([id, fields]) => ({ id, json: fieldOf(fields, "json"), deliveries: deliveries.get(id) ?? 1 }));
  }

  async deadLetter(topic: Topic, group: string, entry: StreamEntry, reason: string): Promise<void> {
    const res = await this.commands
      .multi()
      .xadd(deadKey(this.ns, topic), "MAXLEN", "~", DEAD_LETTER_MAX_LEN, "*", "json", entry.json, "sourceId", entry.id, "group", group, "deliveries", String(entry.deliveries), "reason", reason.slice(0, 500))
      .xack(this.key(topic), group, entry.id)
      .exec();
    const failed = res?.find(([err]) => err !== null);
    if (res === null || failed) throw failed?.[0] ?? new Error("dead-letter transaction aborted");
    this.counters.deadLettered++;
    this.counters.acked++;
  }

  async deadLetters(topic: Topic, count = 100): Promise<DeadLetter[]> {
    const rows = (await this.commands.xrevrange(deadKey(this.ns, topic), "+", "-", "COUNT", count)) as Array<[string, string[]]>;
    return rows.reverse().map(([id, f]) => ({
      id,
      sourceId: fieldOf(f, "sourceId"),
      group: fieldOf(f, "group"),
      deliveries: Number(fieldOf(f, "deliveries")),
      reason: fieldOf(f, "reason"),
      json: fieldOf(f, "json"),
    }));
  }

  async pendingCount(topic: Topic, group: string): Promise<number> {
    const summary = (await this.commands.xpending(this.key(topic), group)) as [number, ...unknown[]];
    return Number(summary[0]);
  }

  async streamLength(topic: Topic): Promise<number> {
    return this.commands.xlen(this.key(topic));
  }

  async recent(topic: Topic, count: number): Promise<StreamEntry[]> {
    if (!(count > 0)) return [];
    const rows = await this.commands.xrevrange(this.key(topic), "+", "-", "COUNT", Math.floor(count));
    const out: StreamEntry[] = [];
    for (let i = rows.length - 1; i >= 0; i--) {
      const [id, fields] = rows[i]!;
      const at = fields.indexOf("json");
      // An entry without a json field is not ours (written by hand): skipped, as a consumer would refuse it.
      if (at >= 0 && at + 1 < fields.length) out.push({ id, json: fields[at + 1]!, deliveries: 0 });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [this.commands, ...this.blocking.values(), ...(this.subscriber ? [this.subscriber] : [])];
    // disconnect() rather than quit(): quit waits for a reply that never comes while Redis is down.
    for (const c of all) c.disconnect();
  }
}

function readyWithin(c: Redis, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.off("ready", onReady);
      reject(new Error(`connection not ready within ${ms} ms (status ${c.status})`));
    }, ms);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    c.once("ready", onReady);
  });
}

function fieldOf(fields: readonly string[] | null, name: string): string {
  if (fields === null) return "";
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return "";
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "<unparseable url>";
  }
}
