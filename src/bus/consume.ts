/**
 * The one consumer loop over a `Bus` (Redis or memory): at-least-once delivery with ack after apply (R13).
 *   1. on start, and after any error or failed handler, read this consumer's pending entries (id 0) first:
 *      whatever was delivered before a crash or an outage and never acked is applied again;
 *   2. then new entries (id >), blocking for at most `blockMs` (finite, R15);
 *   3. every `claimEveryMs`, take over entries left pending by a dead consumer for over `claimIdleMs` (XAUTOCLAIM);
 *   4. an entry whose handler throws stays pending and is retried; after `maxDeliveries` it is copied to the
 *      dead-letter stream and acked, so one poison entry never blocks the stream.
 * The handler must be idempotent (the guidance receiver is, by id and version): a crash between apply and ack
 * delivers the entry again. Bus errors (Redis down) are counted and retried with backoff; the loop never throws.
 */
import type { Bus, StreamEntry } from "./bus.js";
import type { Topic } from "./messages.js";

export interface ConsumeOptions {
  readonly group: string;
  readonly consumer: string;
  /** Applies one entry; throwing leaves it pending (retried, then dead-lettered). */
  readonly handler: (entry: StreamEntry) => void | Promise<void>;
  readonly signal: AbortSignal;
  /** Where a new group starts: "$" (default) or "0". */
  readonly start?: "0" | "$";
  readonly blockMs?: number;
  readonly count?: number;
  readonly maxDeliveries?: number;
  readonly claimIdleMs?: number;
  readonly claimEveryMs?: number;
  /** Wait after a failed handler before the retry (ms). */
  readonly retryDelayMs?: number;
  /** Called on a bus error or a handler failure (already handled). */
  readonly onError?: (err: unknown, where: "bus" | "handler", entry?: StreamEntry) => void;
  /** Called after each entry is acked or dead-lettered. */
  readonly onSettled?: (entry: StreamEntry, outcome: "acked" | "dead_lettered") => void;
}

export interface ConsumerStats {
  applied: number;
  failed: number;
  deadLettered: number;
  claimed: number;
  busErrors: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Runs until `signal` aborts; resolves with what it did. */
export async function consume(bus: Bus, topic: Topic, opts: ConsumeOptions): Promise<ConsumerStats> {
  const stats: ConsumerStats = { applied: 0, failed: 0, deadLettered: 0, claimed: 0, busErrors: 0 };
  const blockMs = opts.blockMs ?? 1_000;
  const count = opts.count ?? 64;
  const maxDeliveries = opts.maxDeliveries ?? 5;
  const claimIdleMs = opts.claimIdleMs ?? 60_000;
  const claimEveryMs = opts.claimEveryMs ?? 30_000;
  const retryDelayMs = opts.retryDelayMs ?? 200;
  const { signal } = opts;
  let groupReady = false;
  let readPending = true;
  let lastClaim = 0;
  let backoff = 50;

  const settle = async (entry: StreamEntry): Promise<boolean> => {
    try {
      await opts.handler(entry);
    } catch (err) {
      stats.failed++;
      opts.onError?.(err, "handler", entry);
      if (entry.deliveries >= maxDeliveries) {
        await bus.deadLetter(topic, opts.group, entry, err instanceof Error ? err.message : String(err));
        stats.deadLettered++;
        opts.onSettled?.(entry, "dead_lettered");
        return true;
      }
      return false;
    }
    await bus.ack(topic, opts.group, [entry.id]);
    stats.applied++;
    opts.onSettled?.(entry, "acked");
    return true;
  };

  while (!signal.aborted) {
    try {
      if (!groupReady) {
        await bus.ensureGroup(topic, opts.group, opts.start ?? "$");
        groupReady = true;
      }
      let batch: StreamEntry[];
      if (Date.now() - lastClaim >= claimEveryMs) {
        lastClaim = Date.now();
        batch = await bus.claimStale(topic, opts.group, opts.consumer, claimIdleMs, count);
        stats.claimed += batch.length;
      } else if (readPending) {
        batch = await bus.readGroup(topic, opts.group, opts.consumer, { from: "pending", count, blockMs: 0 });
        if (batch.length === 0) readPending = false;
      } else {
        batch = await bus.readGroup(topic, opts.group, opts.consumer, { from: "new", count, blockMs });
      }
      let allSettled = true;
      for (const entry of batch) {
        if (signal.aborted) break;
        if (!(await settle(entry))) allSettled = false;
      }
      backoff = 50;
      if (!allSettled) {
        readPending = true;
        await sleep(retryDelayMs, signal);
      }
    } catch (err) {
      // Redis down, a timeout, or the group gone (a Redis restarted without persistence): recreate, re-read pending.
      stats.busErrors++;
      opts.onError?.(err, "bus");
      if (err instanceof Error && err.message.includes("NOGROUP")) groupReady = false;
      readPending = true;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 1_000);
    }
  }
  return stats;
}
