/**
 * Feeds a GuidanceReceiver from the bus, the way a live trader runs it:
 *   - the `coach_guidance` stream through a consumer group (at-least-once, pending re-read after a restart or an
 *     outage, ack after the receiver judged the entry: R13). Bad input is judged, counted and acked — redelivering
 *     it would not make it valid; only a receiver that throws leaves an entry pending (then the dead-letter stream);
 *   - the `coach_guidance:latest` key at start and every `latestPollMs`, so a late joiner or a trader back from an
 *     outage has the latest guidance even when the stream was trimmed or the group is new (R12);
 *   - `coach_heartbeat:latest` on the same poll, for the coach's liveness (R15).
 * Duplicates between the three paths are harmless: the receiver ignores a known id or an older version.
 */
import type { Bus } from "../bus/bus.js";
import { consume, type ConsumerStats } from "../bus/consume.js";
import type { GuidanceReceiver } from "./guidance-receiver.js";

export interface GuidanceLinkOptions {
  readonly group?: string;
  readonly consumer?: string;
  /** The receiver's clock (ms UTC). Default Date.now. */
  readonly now?: () => number;
  readonly latestPollMs?: number;
  readonly blockMs?: number;
  readonly onError?: (err: unknown) => void;
}

export interface GuidanceLink {
  stop(): Promise<ConsumerStats>;
}

export function linkGuidance(bus: Bus, receiver: GuidanceReceiver, opts: GuidanceLinkOptions = {}): GuidanceLink {
  const now = opts.now ?? Date.now;
  const ctl = new AbortController();
  const pollLatest = async (): Promise<void> => {
    try {
      const g = await bus.latest("coach_guidance");
      if (g !== null) receiver.receive(g, now());
      const hb = await bus.latest("coach_heartbeat");
      if (hb !== null) receiver.receiveHeartbeat(hb, now());
    } catch (err) {
      opts.onError?.(err);
    }
  };
  void pollLatest();
  const timer = setInterval(() => void pollLatest(), opts.latestPollMs ?? 5_000);
  const loop = consume(bus, "coach_guidance", {
    group: opts.group ?? "trader",
    consumer: opts.consumer ?? "trader-1",
    signal: ctl.signal,
    blockMs: opts.blockMs ?? 1_000,
    handler: (entry) => void receiver.receive(entry.json, now()),
    ...(opts.onError ? { onError: (err: unknown) => opts.onError!(err) } : {}),
  });
  return {
    stop: async () => {
      clearInterval(timer);
      ctl.abort();
      return loop;
    },
  };
}
