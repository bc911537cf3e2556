/**
 * The messages the trader and the coach exchange, one strict zod schema each, versioned by `schemaVersion`.
 * Every receiver parses with these (guidance is untrusted input, even from our own coach): a message is a JSON
 * text of at most MAX_MESSAGE_BYTES, and the parse either returns the typed message or a `MessageRejection`
 * naming the field and the value that broke. Forms, bounds and examples: docs/bus.md.
 *
 *   ppo_state        the trader → the coach and the dashboard, one per trader tick;
 *   coach_guidance   the coach → the trader: adjust_risk | timing | size with a bounded value;
 *   coach_heartbeat  the coach → anyone: "I am alive", with the last guidance version it published;
 *   coach_trace      the coach → notebooks, the dashboard: each cycle's decision trace (diagnostic JSON: never an
 *                    input to a trading decision, so it has no strict schema here; see src/coach/cycle.ts).
 *
 * The seed's minimal forms (`{"action":"buy","amount":0.1,"price":50000,"reward":15}` and
 * `{"guidance":"adjust_risk","value":0.8}`) carry no `schemaVersion`; they are accepted as the "seed form" with
 * every missing field left unknown (undefined), never invented.
 */
import { z } from "zod";

/** The schema version this build writes and accepts. */
export const SCHEMA_VERSION = 1;
/** Messages longer than this (UTF-16 code units of the JSON text, ≥ bytes / 4) are refused before parsing. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * The topics: each is a Redis stream key, a pub/sub channel and (with ":latest") a key of the same name. The
 * trader's control topics (control in, acknowledgement and heartbeat out) are defined in trader-messages.ts.
 */
export const TOPICS = ["ppo_state", "coach_guidance", "coach_heartbeat", "coach_trace", "trader_control", "trader_control_ack", "trader_heartbeat"] as const;
export type Topic = (typeof TOPICS)[number];

const finite = z.number().refine(Number.isFinite, "expected a finite number");
const nonNeg = finite.refine((x) => x >= 0, "expected a number ≥ 0");
const fraction = finite.refine((x) => x >= 0 && x <= 1, "expected a number in [0, 1]");
/** A time, ms since the epoch (UTC): an integer in [2000-01-01, 2100-01-01). */
const epochMs = z.number().int().min(946_684_800_000).lt(4_102_444_800_000);
const shortText = (max: number) => z.string().max(max);
/** Ids: letters, digits and `:._-`, 1–128 characters (safe in keys, logs and file names). */
const messageId = z.string().regex(/^[A-Za-z0-9:._-]{1,128}$/, "expected 1–128 characters of [A-Za-z0-9:._-]");

// ---- coach_guidance ------------------------------------------------------------------------------------------

export const GUIDANCE_KINDS = ["adjust_risk", "timing", "size"] as const;
export type GuidanceKind = (typeof GUIDANCE_KINDS)[number];

/**
 * Bounds of each kind's `value`. The coach can only make the trader more cautious: it never raises the exposure
 * cap or the trade size above the trader's own configuration (1 = neutral).
 *   adjust_risk  multiplies the exposure cap (max coin share of the portfolio):  [0, 1], 1 = neutral;
 *   timing       the trader holds (no new orders) for this many ticks:           integer [0, 168], 0 = neutral;
 *   size         multiplies every order's size (the trade fraction):             [0, 1], 1 = neutral.
 */
export const GUIDANCE_BOUNDS: Readonly<Record<GuidanceKind, { readonly min: number; readonly max: number; readonly integer: boolean; readonly neutral: number }>> = {
  adjust_risk: { min: 0, max: 1, integer: false, neutral: 1 },
  timing: { min: 0, max: 168, integer: true, neutral: 0 },
  size: { min: 0, max: 1, integer: false, neutral: 1 },
};

/** How a guidance was decided: a researcher's rule, a chunk (a rule learnt from a resolved impasse), the LLM, or a default. */
export const GUIDANCE_SOURCES = ["rule", "chunk", "llm", "default"] as const;
export type GuidanceSource = (typeof GUIDANCE_SOURCES)[number];

/** The longest a guidance may live (expiresAt − issuedAt). */
export const MAX_GUIDANCE_TTL_MS = 7 * 24 * 3_600_000;

const guidanceValue = (kind: GuidanceKind) => {
  const b = GUIDANCE_BOUNDS[kind];
  let v = finite.refine((x) => x >= b.min && x <= b.max, `expected a number in [${b.min}, ${b.max}] for ${kind}`);
  if (b.integer) v = v.refine(Number.isInteger, `expected an integer number of ticks for ${kind}`);
  return v;
};

const guidanceFields = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Unique id of this guidance (the coach's: `<coachId>:<version>`); a second message with the same id is a duplicate. */
  id: messageId,
  /** Monotonic per coach, across kinds: a receiver ignores a version ≤ the last one it applied. */
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** Why, in words (shown on the dashboard and in the decision trace). */
  reason: shortText(500),
  /** When the coach issued it (ms UTC). */
  issuedAt: epochMs,
  /** After this (ms UTC) the guidance is void and the trader falls back to neutral. */
  expiresAt: epochMs,
  /** `seq` of the ppo_state it answers; null when it answers none. */
  stateSeq: z.number().int().min(0).nullable(),
  /** How it was decided. */
  source: z.enum(GUIDANCE_SOURCES),
  /** The rule (or chunk) that proposed it; null for the LLM or a default. */
  rule: shortText(128).nullable(),
  /** The coach that issued it. */
  coachId: messageId,
};

const guidanceOf = <K extends GuidanceKind>(kind: K) =>
  z.strictObject({ ...guidanceFields, guidance: z.literal(kind), value: guidanceValue(kind) });

/** coach_guidance v1: every field required, unknown keys refused. */
export const coachGuidanceSchema = z
  .discriminatedUnion("guidance", [guidanceOf("adjust_risk"), guidanceOf("timing"), guidanceOf("size")])
  .superRefine((g, ctx) => {
    if (!(g.expiresAt > g.issuedAt)) ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "expected expiresAt > issuedAt", input: g.expiresAt });
    else if (g.expiresAt - g.issuedAt > MAX_GUIDANCE_TTL_MS) {
      ctx.addIssue({ code: "custom", path: ["expiresAt"], message: `expected expiresAt − issuedAt ≤ ${MAX_GUIDANCE_TTL_MS} ms (7 days)`, input: g.expiresAt });
    }
  });
export type CoachGuidance = z.output<typeof coachGuidanceSchema>;

const seedGuidanceOf = <K extends GuidanceKind>(kind: K) =>
  z.strictObject({ guidance: z.literal(kind), value: guidanceValue(kind), reason: shortText(500).optional() });

/** The seed's minimal guidance: `{"guidance":"adjust_risk","value":0.8}` (no schemaVersion, id, version or times). */
export const seedGuidanceSchema = z.discriminatedUnion("guidance", [seedGuidanceOf("adjust_risk"), seedGuidanceOf("timing"), seedGuidanceOf("size")]);
export type SeedGuidance = z.output<typeof seedGuidanceSchema>;

// ---- ppo_state -----------------------------------------------------------------------------------------------

export const AGENT_ACTIONS = ["hold", "buy", "sell"] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/** A guidance the trader has in force, as it reports it in ppo_state (the dashboard shows it). */
export const guidanceInForceSchema = z.strictObject({
  id: messageId.nullable(),
  version: z.number().int().min(1).nullable(),
  guidance: z.enum(GUIDANCE_KINDS),
  value: finite,
  expiresAt: epochMs,
});
export type GuidanceInForceReport = z.output<typeof guidanceInForceSchema>;

/** A protection lock (R10): why entries are blocked and until when. */
export const lockSchema = z.strictObject({ reason: shortText(200), until: epochMs.nullable() });

const ppoStateV1Fields = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Monotonic per trader run: receivers ignore a seq ≤ the last one they saw (R14). */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Time of the tick (ms UTC): the close of the bar the decision was taken on. */
  ts: epochMs,
  /** e.g. "BTC/USD". */
  symbol: shortText(64),
  /** Last price seen (quote currency per coin). */
  price: finite.refine((x) => x > 0, "expected a price > 0"),
  /** The agent's action on this tick, after the guidance and the risk caps. */
  action: z.enum(AGENT_ACTIONS),
  /** Size of the action: the fraction of the cash a buy spends, or of the coins a sell sells (0 for a hold). */
  amount: fraction,
  /** The env's reward for the tick. */
  reward: finite,
  portfolio: z.strictObject({ cash: nonNeg, coins: nonNeg, value: nonNeg }),
  /** Coin share of the portfolio value, in [0, 1]. */
  exposure: fraction,
  /** Current drawdown from the running peak of the value, in [0, 1]. */
  drawdown: fraction,
  /** The last few per-tick simple returns of the portfolio value (newest last), at most 500. */
  recentReturns: z.array(finite).max(500),
  /** Realised volatility: standard deviation of the per-tick returns over the trader's window. */
  volatility: nonNeg,
  /** Commission paid on this tick (quote currency). */
  fee: nonNeg,
  /** The guidance the trader had in force on this tick (one entry per kind). */
  guidance: z.array(guidanceInForceSchema).max(3),
  /** The policy that acted: the checkpoint's id (folder or hash), or a baseline's name. */
  model: shortText(256),
  /** Bar length / tick interval of the trader (ms): the coach sizes expiries with it. */
  intervalMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000),
  /** "backtest", "replay", "paper" or "live". */
  mode: z.enum(["backtest", "replay", "paper", "live"]),
  /** Protection locks in force (R10). */
  locks: z.array(lockSchema).max(32),
  /** The trader's own state, e.g. "running", "stopped", "stopentry". */
  status: shortText(32),
};

/**
 * ppo_state v1: the full form. `seq`, `ts`, `price`, `action` and `schemaVersion` are required; the rest is
 * optional because a trader may not know it yet (no drawdown before the first tick, no checkpoint for a baseline).
 */
export const ppoStateSchema = z.strictObject({
  ...ppoStateV1Fields,
  symbol: ppoStateV1Fields.symbol.optional(),
  amount: ppoStateV1Fields.amount.optional(),
  reward: ppoStateV1Fields.reward.optional(),
  portfolio: ppoStateV1Fields.portfolio.optional(),
  exposure: ppoStateV1Fields.exposure.optional(),
  drawdown: ppoStateV1Fields.drawdown.optional(),
  recentReturns: ppoStateV1Fields.recentReturns.optional(),
  volatility: ppoStateV1Fields.volatility.optional(),
  fee: ppoStateV1Fields.fee.optional(),
  guidance: ppoStateV1Fields.guidance.optional(),
  model: ppoStateV1Fields.model.optional(),
  intervalMs: ppoStateV1Fields.intervalMs.optional(),
  mode: ppoStateV1Fields.mode.optional(),
  locks: ppoStateV1Fields.locks.optional(),
  status: ppoStateV1Fields.status.optional(),
});
export type PpoState = z.output<typeof ppoStateSchema>;
export type PpoStateInput = z.input<typeof ppoStateSchema>;

/** The seed's minimal state: `{"action":"buy","amount":0.1,"price":50000,"reward":15}`. */
export const seedPpoStateSchema = z.strictObject({
  action: ppoStateV1Fields.action,
  price: ppoStateV1Fields.price,
  amount: ppoStateV1Fields.amount.optional(),
  reward: ppoStateV1Fields.reward.optional(),
});
export type SeedPpoState = z.output<typeof seedPpoStateSchema>;

// ---- coach_heartbeat -----------------------------------------------------------------------------------------

export const coachHeartbeatSchema = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  coachId: messageId,
  /** When it was sent (ms UTC). */
  ts: epochMs,
  /** The last guidance version the coach published (0: none yet). */
  version: z.number().int().min(0),
  /** Decision cycles run since the coach started. */
  cycles: z.number().int().min(0),
  /** "ok", or what is wrong (e.g. "bus_down", "llm_failing"). */
  status: shortText(64),
  /** The LLM in use ("provider:model"), or null on rules only. */
  llm: shortText(128).nullable(),
  /** Heartbeat period (ms): a receiver marks the coach stale after a few missed ones. */
  periodMs: z.number().int().min(100).max(3_600_000),
});
export type CoachHeartbeat = z.output<typeof coachHeartbeatSchema>;

// ---- parsing -------------------------------------------------------------------------------------------------

export type MessageRejectionCode =
  /** The text is longer than MAX_MESSAGE_BYTES. */
  | "too_large"
  /** Not JSON at all. */
  | "malformed_json"
  /** JSON, but not an object (an array, a string, null…). */
  | "not_an_object"
  /** `schemaVersion` present but not one this build reads. */
  | "unsupported_schema_version"
  /** A field is missing, has the wrong type, is out of its range, or is not a known field. */
  | "invalid_field";

/** Why a message was refused: the rule, the field (dotted path, "" for the whole message) and the value found. */
export interface MessageRejection {
  readonly code: MessageRejectionCode;
  readonly topic: Topic;
  readonly field: string;
  /** The offending value, as short text (clipped). */
  readonly value: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly rejection: MessageRejection };

/** A parsed ppo_state: the full v1 form, or the seed's minimal form. */
export type AnyPpoState = ({ readonly form: "v1" } & PpoState) | ({ readonly form: "seed" } & SeedPpoState);
/** A parsed coach_guidance: the full v1 form, or the seed's minimal form. */
export type AnyGuidance = ({ readonly form: "v1" } & CoachGuidance) | ({ readonly form: "seed" } & SeedGuidance);

export function clip(v: unknown, max = 80): string {
  let t: string;
  if (typeof v === "string") t = JSON.stringify(v);
  else if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) t = String(v);
  else {
    try {
      t = JSON.stringify(v) ?? String(v);
    } catch {
      t = String(v);
    }
  }
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function reject(topic: Topic, code: MessageRejectionCode, field: string, value: unknown, message: string): { ok: false; rejection: MessageRejection } {
  return { ok: false, rejection: { code, topic, field, value: clip(value), message } };
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The rejection for a zod error: the first issue's field (an unknown key names the key) and the value found. */
export function fromZod(topic: Topic, error: z.ZodError, input: unknown): { ok: false; rejection: MessageRejection } {
  const issue = error.issues[0]!;
  // An unknown key names the key itself, not the object that holds it.
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const path = [...issue.path, key];
    return reject(topic, "invalid_field", path.map(String).join("."), valueAt(input, path), `unknown field "${key}"`);
  }
  const field = issue.path.map(String).join(".");
  const found = valueAt(input, issue.path);
  const message = found === undefined && issue.code === "invalid_type" ? "missing (required)" : issue.message;
  return reject(topic, "invalid_field", field, found, message);
}

/** Reads the text (or an already-decoded value) as a JSON object, refusing oversized, malformed and non-object input. */
export function decode(topic: Topic, raw: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; rejection: MessageRejection } {
  let value: unknown = raw;
  if (typeof raw === "string") {
    if (raw.length > MAX_MESSAGE_BYTES) return reject(topic, "too_large", "", `${raw.length} characters`, `expected at most ${MAX_MESSAGE_BYTES} characters`);
    try {
      value = JSON.parse(raw);
    } catch (err) {
      return reject(topic, "malformed_json", "", raw, `not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return reject(topic, "not_an_object", "", value, `expected a JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export function checkVersion(topic: Topic, obj: Record<string, unknown>): { ok: false; rejection: MessageRejection } | null {
  if (!("schemaVersion" in obj)) return null;
  if (obj.schemaVersion === SCHEMA_VERSION) return null;
  return reject(topic, "unsupported_schema_version", "schemaVersion", obj.schemaVersion, `expected ${SCHEMA_VERSION}`);
}

/** Parses a ppo_state: v1 when it has `schemaVersion`, else the seed's minimal form. */
export function parsePpoState(raw: unknown): Parsed<AnyPpoState> {
  const d = decode("ppo_state", raw);
  if (!d.ok) return d;
  const bad = checkVersion("ppo_state", d.value);
  if (bad) return bad;
  if ("schemaVersion" in d.value) {
    const r = ppoStateSchema.safeParse(d.value);
    return r.success ? { ok: true, message: { form: "v1", ...r.data } } : fromZod("ppo_state", r.error, d.value);
  }
  const r = seedPpoStateSchema.safeParse(d.value);
  return r.success ? { ok: true, message: { form: "seed", ...r.data } } : fromZod("ppo_state", r.error, d.value);
}

/** Parses a coach_guidance: v1 when it has `schemaVersion`, else the seed's minimal form. */
export function parseGuidance(raw: unknown): Parsed<AnyGuidance> {
  const d = decode("coach_guidance", raw);
  if (!d.ok) return d;
  const bad = checkVersion("coach_guidance", d.value);
  if (bad) return bad;
  if ("schemaVersion" in d.value) {
    const r = coachGuidanceSchema.safeParse(d.value);
    return r.success ? { ok: true, message: { form: "v1", ...r.data } } : fromZod("coach_guidance", r.error, d.value);
  }
  const r = seedGuidanceSchema.safeParse(d.value);
  return r.success ? { ok: true, message: { form: "seed", ...r.data } } : fromZod("coach_guidance", r.error, d.value);
}

/** Parses a coach_heartbeat (v1 only: the seed had none). */
export function parseHeartbeat(raw: unknown): Parsed<CoachHeartbeat> {
  const d = decode("coach_heartbeat", raw);
  if (!d.ok) return d;
  const bad = checkVersion("coach_heartbeat", d.value);
  if (bad) return bad;
  const r = coachHeartbeatSchema.safeParse(d.value);
  return r.success ? { ok: true, message: r.data } : fromZod("coach_heartbeat", r.error, d.value);
}

/** One line for a log: `coach_guidance rejected: invalid_field at value: expected … (got 50)`. */
export function describeRejection(r: MessageRejection): string {
  const at = r.field === "" ? "" : ` at ${r.field}`;
  return `${r.topic} rejected: ${r.code}${at}: ${r.message} (got ${r.value})`;
}

/** Strips the parse-only `form` tag: the JSON a sender writes. */
export function guidanceJson(g: CoachGuidance): string {
  return JSON.stringify(g);
}

// ---- examples (docs/bus.md shows these; the tests parse every one) -------------------------------------------

export const EXAMPLES = {
  ppoStateSeed: { action: "buy", amount: 0.1, price: 50000, reward: 15 },
  ppoState: {
    schemaVersion: 1,
    seq: 1042,
    ts: 1_700_003_600_000,
    symbol: "BTC/USD",
    price: 36_512.5,
    action: "buy",
    amount: 0.5,
    reward: 12.4,
    portfolio: { cash: 5_000, coins: 0.137, value: 10_002.3 },
    exposure: 0.5,
    drawdown: 0.031,
    recentReturns: [0.0012, -0.0031, 0.0008],
    volatility: 0.0061,
    fee: 3.75,
    guidance: [{ id: "coach-1:17", version: 17, guidance: "adjust_risk", value: 0.8, expiresAt: 1_700_046_800_000 }],
    model: "checkpoints/seed-0",
    intervalMs: 3_600_000,
    mode: "paper",
    locks: [],
    status: "running",
  },
  guidanceSeed: { guidance: "adjust_risk", value: 0.8 },
  guidance: {
    schemaVersion: 1,
    id: "coach-1:18",
    version: 18,
    guidance: "adjust_risk",
    value: 0.5,
    reason: "rule high-volatility: volRegime = high",
    issuedAt: 1_700_003_600_500,
    expiresAt: 1_700_046_800_500,
    stateSeq: 1042,
    source: "rule",
    rule: "high-volatility",
    coachId: "coach-1",
  },
  heartbeat: { schemaVersion: 1, coachId: "coach-1", ts: 1_700_003_605_000, version: 18, cycles: 1043, status: "ok", llm: null, periodMs: 5_000 },
} as const;
