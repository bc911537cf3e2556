/**
 * Decision and client-order ids. A decision is one agent action on one bar of one run, so its id is a pure
 * function of (run tag, bar open time): re-running the same tick after a crash yields the same id, and every
 * resend of the order it causes carries the same client order id (R1). The client order id starts with the
 * run's prefix, so reconciliation on restart finds our orders by prefix and ignores everyone else's (R6).
 *
 * Format: `drl<tag>-<bar>-<leg>` where tag = 6 base-36 chars derived from the run id, bar = the bar's open time
 * in seconds, base 36, leg = one character (0 = the decision's order, x = a forced exit). 3 + 6 + 1 + ≤ 7 + 1 + 1
 * ≤ 19 characters of [a-z0-9-]: inside every exchange's limit (Binance: 36 of [.A-Za-z:/0-9_-]).
 */
import { createHash } from "node:crypto";

export const ORDER_ID_PREFIX = "drl";

/** Six base-36 characters derived from a run id (a hash: stable, and distinct runs rarely collide). */
export function runTag(runId: string): string {
  const h = createHash("sha256").update(runId).digest();
  const n = h.readUInt32BE(0) % 36 ** 6;
  return n.toString(36).padStart(6, "0");
}

/** The prefix every client order id of this run starts with. */
export function clientOrderPrefix(tag: string): string {
  return `${ORDER_ID_PREFIX}${tag}-`;
}

/** The decision on the bar that opened at `barTs` (ms, a whole number of seconds). */
export function decisionId(tag: string, barTs: number): string {
  if (!(Number.isSafeInteger(barTs) && barTs >= 0 && barTs % 1000 === 0)) {
    throw new RangeError(`decisionId: the bar time must be a non-negative whole number of seconds in ms, got ${barTs}`);
  }
  return `${clientOrderPrefix(tag)}${(barTs / 1000).toString(36)}`;
}

export type OrderLeg = "0" | "x";

/** The client order id of a decision's order: the same for every resend (no attempt number in it). */
export function clientOrderId(decision: string, leg: OrderLeg = "0"): string {
  return `${decision}-${leg}`;
}

export interface ParsedClientOrderId {
  readonly tag: string;
  readonly barTs: number;
  readonly leg: OrderLeg;
  readonly decisionId: string;
}

/** Parses one of our client order ids; null for anything else (another bot's order, a manual one). */
export function parseClientOrderId(id: string): ParsedClientOrderId | null {
  const m = /^drl([0-9a-z]{6})-([0-9a-z]{1,8})-([0x])$/.exec(id);
  if (m === null) return null;
  const seconds = parseInt(m[2]!, 36);
  if (!Number.isSafeInteger(seconds * 1000)) return null;
  return { tag: m[1]!, barTs: seconds * 1000, leg: m[3] as OrderLeg, decisionId: `${ORDER_ID_PREFIX}${m[1]}-${m[2]}` };
}

/** True when `id` is an order of the run with this tag. */
export function isOurOrder(id: string | undefined | null, tag: string): boolean {
  return typeof id === "string" && parseClientOrderId(id)?.tag === tag;
}
