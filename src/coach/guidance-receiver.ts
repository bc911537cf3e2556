/**
 * The trader's side of coach_guidance: every message is re-validated (guidance is untrusted input, even from our
 * own coach), judged against the clock and the versions already applied, and either applied or refused, counted
 * and logged with the field and the value. The last valid guidance of each kind stays in force until it expires
 * or grows older than `maxAgeMs`; then that kind falls back to neutral (R12, R13, R15, R16).
 *
 * Rules, in order:
 *   1. parse (strict schema, ≤ 64 KiB): a malformed, out-of-range or unknown-field message is rejected;
 *   2. the seed form (`{"guidance":"adjust_risk","value":0.8}`) is applied in arrival order when allowed
 *      (`acceptSeedForm`), issued "now" and living `seedTtlMs`; it carries no version and never blocks a versioned one;
 *   3. an id already applied is a duplicate (ignored: at-least-once delivery makes these normal);
 *   4. a version ≤ the last applied version is ignored (an older message arriving late);
 *   5. issuedAt later than now + `maxFutureSkewMs` is rejected (future-dated);
 *   6. already expired (now > expiresAt) or older than `maxAgeMs` is rejected;
 *   7. else it replaces the guidance of its kind.
 * This module is pure logic over an injected clock value (`now`): the backtest and the live trader share it.
 */
import { clip, describeRejection, GUIDANCE_BOUNDS, GUIDANCE_KINDS, parseGuidance, parseHeartbeat, type GuidanceKind, type GuidanceSource, type MessageRejection } from "../bus/messages.js";

export interface GuidanceReceiverOptions {
  /** Guidance older than this (now − issuedAt) no longer applies: neutral defaults (default 3 h: 3 hourly ticks). */
  readonly maxAgeMs?: number;
  /** issuedAt may be at most this far ahead of the receiver's clock (default 5 s). */
  readonly maxFutureSkewMs?: number;
  /** Apply the seed's minimal form (default true; a live trader may refuse it). */
  readonly acceptSeedForm?: boolean;
  /** How long a seed-form guidance lives (default: maxAgeMs). */
  readonly seedTtlMs?: number;
  /** No guidance or heartbeat for this long: the coach is stale (default: maxAgeMs). */
  readonly coachStaleMs?: number;
  /**
   * The clock of the coach's liveness (heartbeats are stamped with the coach's wall clock). Default: the `now`
   * passed to each call. A replay passes Date.now: its `now` is market time (guidance is issued, aged and expired on
   * the replay's timeline), while the coach's heartbeats and its silence are measured in real time.
   */
  readonly livenessNow?: () => number;
  /** Ids remembered for duplicate detection (default 1000). */
  readonly rememberIds?: number;
  /** One call per rejection, duplicate or application. */
  readonly log?: (event: ReceiverEvent) => void;
}

/** A guidance the receiver has accepted. */
export interface ActiveGuidance {
  /** The message id (a seed-form message gets `seed:<n>`). */
  readonly id: string;
  /** null for the seed form. */
  readonly version: number | null;
  readonly kind: GuidanceKind;
  readonly value: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly receivedAt: number;
  readonly reason: string;
  readonly source: GuidanceSource | "seed";
  readonly rule: string | null;
  readonly stateSeq: number | null;
}

export type ReceiverRejectionCode = MessageRejection["code"] | "future_dated" | "expired" | "seed_form_refused";

export interface ReceiverRejection {
  readonly code: ReceiverRejectionCode;
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

export type ReceiveOutcome = "applied" | "duplicate" | "old_version" | "rejected";

export interface ReceiveResult {
  readonly outcome: ReceiveOutcome;
  readonly guidance?: ActiveGuidance;
  readonly rejection?: ReceiverRejection;
}

export interface ReceiverEvent {
  readonly level: "info" | "warn";
  readonly outcome: ReceiveOutcome | "heartbeat" | "heartbeat_rejected";
  readonly line: string;
  readonly rejection?: ReceiverRejection;
  /**
   * Which guidance the verdict is about (a journal row, the dashboard's timeline): its id and version (null for
   * the seed form, or a message too broken to carry them), kind and value when known, and the message as received.
   */
  readonly guidance?: GuidanceIdentity;
}

export interface GuidanceIdentity {
  readonly id: string | null;
  readonly version: number | null;
  readonly kind: string | null;
  readonly value: number | null;
  /** The message's JSON text as received (at most 4 KiB). */
  readonly payload: string | null;
}

/** The id, version, kind and value a message claims, read leniently (a rejected one is still named by its id). */
function identify(raw: unknown): GuidanceIdentity {
  let payload: string | null = null;
  let v: unknown = raw;
  try {
    payload = typeof raw === "string" ? raw : JSON.stringify(raw);
    if (typeof raw === "string") v = JSON.parse(raw);
  } catch {
    v = null;
  }
  const o = typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  const str = (x: unknown) => (typeof x === "string" ? x.slice(0, 200) : null);
  const fin = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return { id: str(o["id"]), version: fin(o["version"]), kind: str(o["guidance"]), value: fin(o["value"]), payload: payload === null ? null : payload.slice(0, 4096) };
}

export interface ReceiverCounters {
  received: number;
  applied: number;
  duplicates: number;
  oldVersions: number;
  rejected: number;
  rejectedByCode: Partial<Record<ReceiverRejectionCode, number>>;
  heartbeats: number;
}

/** What applies now: the scales and the wait, neutral where nothing is in force. */
export interface EffectiveGuidance {
  /** Multiplies the exposure cap; 1 = neutral. */
  readonly riskScale: number;
  /** Multiplies order sizes; 1 = neutral. */
  readonly sizeScale: number;
  /** The timing guidance in force (its id and tick count), or null. */
  readonly timing: { readonly id: string; readonly ticks: number } | null;
  /** The guidance in force, one per kind at most. */
  readonly active: readonly ActiveGuidance[];
}

/** What a trader keeps across a restart so that versions never go backwards. */
export interface ReceiverSnapshot {
  readonly lastVersion: number;
  readonly ids: readonly string[];
  readonly active: readonly ActiveGuidance[];
}

export const NEUTRAL: EffectiveGuidance = { riskScale: 1, sizeScale: 1, timing: null, active: [] };

export class GuidanceReceiver {
  readonly maxAgeMs: number;
  readonly maxFutureSkewMs: number;
  readonly acceptSeedForm: boolean;
  readonly seedTtlMs: number;
  readonly coachStaleMs: number;
  private readonly rememberIds: number;
  private readonly livenessNow: (() => number) | null;
  private readonly log: (event: ReceiverEvent) => void;
  private readonly slots = new Map<GuidanceKind, ActiveGuidance>();
  private readonly ids = new Set<string>();
  private seedCount = 0;
  private coachLastSeen = Number.NEGATIVE_INFINITY;
  /** The highest version applied (0: none). */
  lastVersion = 0;
  lastRejection: ReceiverRejection | null = null;
  readonly counters: ReceiverCounters = { received: 0, applied: 0, duplicates: 0, oldVersions: 0, rejected: 0, rejectedByCode: {}, heartbeats: 0 };

  constructor(opts: GuidanceReceiverOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 3 * 3_600_000;
    this.maxFutureSkewMs = opts.maxFutureSkewMs ?? 5_000;
    this.acceptSeedForm = opts.acceptSeedForm ?? true;
    this.seedTtlMs = opts.seedTtlMs ?? this.maxAgeMs;
    this.coachStaleMs = opts.coachStaleMs ?? this.maxAgeMs;
    this.rememberIds = opts.rememberIds ?? 1000;
    this.livenessNow = opts.livenessNow ?? null;
    this.log = opts.log ?? (() => {});
  }

  private refuse(r: ReceiverRejection, guidance: GuidanceIdentity, topic = "coach_guidance"): ReceiveResult {
    this.counters.rejected++;
    this.counters.rejectedByCode[r.code] = (this.counters.rejectedByCode[r.code] ?? 0) + 1;
    this.lastRejection = r;
    const at = r.field === "" ? "" : ` at ${r.field}`;
    this.log({ level: "warn", outcome: "rejected", line: `${topic} rejected: ${r.code}${at}: ${r.message} (got ${r.value}); the guidance in force is kept`, rejection: r, guidance });
    return { outcome: "rejected", rejection: r };
  }

  private remember(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.rememberIds) this.ids.delete(this.ids.values().next().value!);
  }

  /** Judges one message (its JSON text, or a decoded value) at time `now` (ms UTC). */
  receive(raw: unknown, now: number): ReceiveResult {
    this.counters.received++;
    const parsed = parseGuidance(raw);
    const who = identify(raw);
    if (!parsed.ok) {
      const { code, field, value, message } = parsed.rejection;
      return this.refuse({ code, field, value, message }, who);
    }
    const m = parsed.message;
    if (m.form === "seed") {
      if (!this.acceptSeedForm) return this.refuse({ code: "seed_form_refused", field: "schemaVersion", value: "undefined", message: "the seed form (no schemaVersion, id or version) is not accepted here" }, who);
      const g: ActiveGuidance = {
        id: `seed:${++this.seedCount}`,
        version: null,
        kind: m.guidance,
        value: m.value,
        issuedAt: now,
        expiresAt: now + this.seedTtlMs,
        receivedAt: now,
        reason: m.reason ?? "",
        source: "seed",
        rule: null,
        stateSeq: null,
      };
      return this.apply(g, now, who);
    }
    const named: GuidanceIdentity = { id: m.id, version: m.version, kind: m.guidance, value: m.value, payload: who.payload };
    if (this.ids.has(m.id)) {
      this.counters.duplicates++;
      this.log({ level: "info", outcome: "duplicate", line: `coach_guidance ${m.id} v${m.version}: duplicate, ignored`, guidance: named });
      return { outcome: "duplicate" };
    }
    if (m.version <= this.lastVersion) {
      this.counters.oldVersions++;
      this.log({ level: "info", outcome: "old_version", line: `coach_guidance ${m.id}: version ${m.version} ≤ ${this.lastVersion} already applied, ignored`, guidance: named });
      return { outcome: "old_version" };
    }
    if (m.issuedAt > now + this.maxFutureSkewMs) {
      return this.refuse({ code: "future_dated", field: "issuedAt", value: clip(m.issuedAt), message: `issued ${m.issuedAt - now} ms in the future (allowed skew ${this.maxFutureSkewMs} ms)` }, named);
    }
    if (now > m.expiresAt) return this.refuse({ code: "expired", field: "expiresAt", value: clip(m.expiresAt), message: `expired ${now - m.expiresAt} ms ago` }, named);
    if (now - m.issuedAt > this.maxAgeMs) {
      return this.refuse({ code: "expired", field: "issuedAt", value: clip(m.issuedAt), message: `${now - m.issuedAt} ms old, older than maxAgeMs ${this.maxAgeMs}` }, named);
    }
    return this.apply(
      {
        id: m.id,
        version: m.version,
        kind: m.guidance,
        value: m.value,
        issuedAt: m.issuedAt,
        expiresAt: m.expiresAt,
        receivedAt: now,
        reason: m.reason,
        source: m.source,
        rule: m.rule,
        stateSeq: m.stateSeq,
      },
      now,
      named,
    );
  }

  private apply(g: ActiveGuidance, now: number, who: GuidanceIdentity): ReceiveResult {
    this.coachLastSeen = Math.max(this.coachLastSeen, this.livenessNow?.() ?? now);
    this.slots.set(g.kind, g);
    this.remember(g.id);
    if (g.version !== null) this.lastVersion = g.version;
    this.counters.applied++;
    this.log({ level: "info", outcome: "applied", line: `coach_guidance ${g.id}: ${g.kind} = ${g.value} until ${new Date(g.expiresAt).toISOString()} (${g.reason || g.source})`, guidance: { id: g.id, version: g.version, kind: g.kind, value: g.value, payload: who.payload } });
    return { outcome: "applied", guidance: g };
  }

  /** A coach_heartbeat: marks the coach alive (it is not guidance and changes nothing in force). */
  receiveHeartbeat(raw: unknown, at: number): boolean {
    const now = this.livenessNow?.() ?? at;
    const parsed = parseHeartbeat(raw);
    if (!parsed.ok) {
      this.log({ level: "warn", outcome: "heartbeat_rejected", line: describeRejection(parsed.rejection) });
      return false;
    }
    if (parsed.message.ts > now + this.maxFutureSkewMs) {
      this.log({ level: "warn", outcome: "heartbeat_rejected", line: `coach_heartbeat rejected: future_dated at ts (got ${parsed.message.ts})` });
      return false;
    }
    this.counters.heartbeats++;
    this.coachLastSeen = Math.max(this.coachLastSeen, parsed.message.ts);
    return true;
  }

  /** True when no guidance or heartbeat came within `coachStaleMs` (R15): the trader keeps trading on defaults. */
  coachStale(at: number): boolean {
    return (this.livenessNow?.() ?? at) - this.coachLastSeen > this.coachStaleMs;
  }

  /** True while `g` applies at `now`: not expired and not older than maxAgeMs. */
  inForce(g: ActiveGuidance, now: number): boolean {
    return now <= g.expiresAt && now - g.issuedAt <= this.maxAgeMs;
  }

  /** What applies at `now`: each kind's guidance while in force, else neutral. */
  effective(now: number): EffectiveGuidance {
    let riskScale = GUIDANCE_BOUNDS.adjust_risk.neutral;
    let sizeScale = GUIDANCE_BOUNDS.size.neutral;
    let timing: EffectiveGuidance["timing"] = null;
    const active: ActiveGuidance[] = [];
    for (const kind of GUIDANCE_KINDS) {
      const g = this.slots.get(kind);
      if (g === undefined || !this.inForce(g, now)) continue;
      active.push(g);
      if (kind === "adjust_risk") riskScale = g.value;
      else if (kind === "size") sizeScale = g.value;
      else timing = { id: g.id, ticks: g.value };
    }
    return active.length === 0 ? NEUTRAL : { riskScale, sizeScale, timing, active };
  }

  snapshot(): ReceiverSnapshot {
    return { lastVersion: this.lastVersion, ids: [...this.ids], active: [...this.slots.values()] };
  }

  /** Restores what a previous run applied (versions then never go backwards across a trader restart). */
  restore(s: ReceiverSnapshot): void {
    this.lastVersion = Math.max(this.lastVersion, s.lastVersion);
    for (const id of s.ids) this.remember(id);
    for (const g of s.active) {
      const cur = this.slots.get(g.kind);
      if (cur === undefined || (g.version ?? 0) > (cur.version ?? 0)) this.slots.set(g.kind, g);
    }
  }
}
