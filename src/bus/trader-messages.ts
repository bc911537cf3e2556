/**
 * The trader's own messages (docs/live.md "Control"), strict zod schemas like the coach's (messages.ts):
 *
 *   trader_control       anyone allowed (the dashboard, an operator) → the trader: stop, start, stopentry,
 *                        startentry, forceexit, kill, set_risk, coach on/off (R21);
 *   trader_control_ack   the trader → everyone: what it did with one control message, and its state after it;
 *   trader_heartbeat     the trader → everyone, every tick: lastProcess, so a health check flags it stale after
 *                        2 missed ticks (R23).
 *
 * Controls are applied at once (between ticks, never in the middle of one), exactly once per id, and every one is
 * acknowledged: done, already (nothing to change: a second stop), or rejected (with the field that broke).
 */
import { z } from "zod";
import { checkVersion, clip, decode, fromZod, SCHEMA_VERSION, type Parsed } from "./messages.js";

const messageId = z.string().regex(/^[A-Za-z0-9:._-]{1,128}$/, "expected 1–128 characters of [A-Za-z0-9:._-]");
const epochMs = z.number().int().min(946_684_800_000).lt(4_102_444_800_000);
const fraction = z.number().refine(Number.isFinite, "expected a finite number").refine((x) => x >= 0 && x <= 1, "expected a number in [0, 1]");

export const CONTROL_COMMANDS = ["stop", "start", "stopentry", "startentry", "forceexit", "kill", "set_risk", "coach"] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

const controlFields = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Unique per message: a second message with the same id is acknowledged again, never applied twice. */
  id: messageId,
  /** Who sent it (shown in the journal and the ack). */
  issuedBy: z.string().max(64),
  issuedAt: epochMs,
};

const control = <C extends ControlCommand, A extends z.ZodRawShape>(command: C, args: A) => z.strictObject({ ...controlFields, command: z.literal(command), args: z.strictObject(args) });

/** trader_control v1. */
export const traderControlSchema = z.discriminatedUnion("command", [
  /** No new orders from the next tick; open orders are cancelled only with cancelOpen (R21). */
  control("stop", { cancelOpen: z.boolean().default(false) }),
  /** The explicit start a stop, a halt or the kill switch needs. */
  control("start", {}),
  /** Entries blocked; exits (the agent's sells, forceexit) still run. */
  control("stopentry", {}),
  control("startentry", {}),
  /** Sell every coin now (a market order), whatever the agent, the locks or a stop say. */
  control("forceexit", {}),
  /** Stop and cancel every open order of ours. */
  control("kill", {}),
  /** Caps in force, each at most the configured limit (a value above it is clamped to it). */
  control("set_risk", { maxTradeFraction: fraction.optional(), maxExposure: fraction.optional() }),
  /** Coach guidance on or off (off: neutral guidance; the risk limits stay). */
  control("coach", { enabled: z.boolean() }),
]);
export type TraderControl = z.output<typeof traderControlSchema>;
export type TraderControlInput = z.input<typeof traderControlSchema>;

export const traderControlAckSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** The control message's id ("" when it could not be read). */
  id: z.string().max(128),
  command: z.string().max(32),
  /** done: applied; already: nothing to change; rejected: not applied (see message). */
  result: z.enum(["done", "already", "rejected"]),
  message: z.string().max(500),
  /** The trader's state after it: running, stopentry or stopped. */
  status: z.string().max(32),
  /** Orders of ours not done yet (a stop leaves them unless cancelOpen). */
  openOrders: z.number().int().min(0),
  /** Coins held: the warning that goes with a stop (R21). */
  coins: z.number().min(0),
  ts: epochMs,
});
export type TraderControlAck = z.output<typeof traderControlAckSchema>;

export const traderHeartbeatSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** The journal's run id. */
  traderId: messageId,
  /** When the last tick finished (ms UTC; a replay: its clock). */
  lastProcess: epochMs,
  /** Open time of the bar the last tick was about. */
  barTs: epochMs,
  seq: z.number().int().min(0),
  /** What the last tick did: decided, skipped, stale, final, halted. */
  outcome: z.string().max(32),
  status: z.string().max(32),
  /** Bar length: a health check flags the trader stale after 2 × this + a margin without a heartbeat (R23). */
  intervalMs: z.number().int().min(1_000),
  mode: z.enum(["replay", "paper", "live"]),
});
export type TraderHeartbeat = z.output<typeof traderHeartbeatSchema>;

/** Parses a trader_control message (strict; unknown commands and fields refused, naming them). */
export function parseControl(raw: unknown): Parsed<TraderControl> {
  const d = decode("trader_control", raw);
  if (!d.ok) return d;
  const bad = checkVersion("trader_control", d.value);
  if (bad) return bad;
  const r = traderControlSchema.safeParse(d.value);
  return r.success ? { ok: true, message: r.data } : fromZod("trader_control", r.error, d.value);
}

export function parseControlAck(raw: unknown): Parsed<TraderControlAck> {
  const d = decode("trader_control_ack", raw);
  if (!d.ok) return d;
  const r = traderControlAckSchema.safeParse(d.value);
  return r.success ? { ok: true, message: r.data } : fromZod("trader_control_ack", r.error, d.value);
}

export function parseTraderHeartbeat(raw: unknown): Parsed<TraderHeartbeat> {
  const d = decode("trader_heartbeat", raw);
  if (!d.ok) return d;
  const r = traderHeartbeatSchema.safeParse(d.value);
  return r.success ? { ok: true, message: r.data } : fromZod("trader_heartbeat", r.error, d.value);
}

/** The id of a control message that failed to parse, when it has a readable one (the ack names it). */
export function controlIdOf(raw: unknown): string {
  try {
    const v: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
    if (v !== null && typeof v === "object" && typeof (v as { id?: unknown }).id === "string") return clip((v as { id: string }).id, 128).replace(/^"|"$/g, "");
  } catch {
    // not JSON: no id
  }
  return "";
}

export const TRADER_EXAMPLES = {
  stop: { schemaVersion: 1, id: "dash-1:7", issuedBy: "dashboard", issuedAt: 1_700_003_600_000, command: "stop", args: { cancelOpen: false } },
  setRisk: { schemaVersion: 1, id: "dash-1:8", issuedBy: "dashboard", issuedAt: 1_700_003_601_000, command: "set_risk", args: { maxExposure: 0.5 } },
} as const;
