import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../bus/messages.js";
import { HoldCode, Order } from "../env/actions/action-scheme.js";
import { executeOrder, Fill } from "../env/fill.js";
import { composeOrderFilters, type OrderFilter } from "../env/order-filter.js";
import { GuidanceFilter, type GuidanceFilterParams } from "./guidance-filter.js";
import { GuidanceReceiver, type ReceiverEvent } from "./guidance-receiver.js";

const T0 = 1_700_000_000_000;
const H = 3_600_000;
let nextVersion = 1;
const guidance = (patch: Record<string, unknown> = {}): Record<string, unknown> => {
  const version = (patch.version as number | undefined) ?? nextVersion++;
  return { ...EXAMPLES.guidance, id: `coach-1:${version}`, version, issuedAt: T0, expiresAt: T0 + 10 * H, ...patch };
};

describe("GuidanceReceiver", () => {
  it("applies valid guidance and reports it as the effective scales", () => {
    const r = new GuidanceReceiver();
    expect(r.receive(JSON.stringify(guidance({ guidance: "adjust_risk", value: 0.5 })), T0).outcome).toBe("applied");
    expect(r.receive(guidance({ guidance: "size", value: 0.25 }), T0).outcome).toBe("applied");
    const e = r.effective(T0 + H);
    expect([e.riskScale, e.sizeScale, e.timing]).toEqual([0.5, 0.25, null]);
    expect(e.active).toHaveLength(2);
  });

  // R13: duplicates and older versions are ignored; applying is idempotent.
  it("R13 a duplicate id and an older or equal version are ignored", () => {
    const r = new GuidanceReceiver();
    const v5 = guidance({ version: 5, value: 0.5 });
    expect(r.receive(v5, T0).outcome).toBe("applied");
    expect(r.receive(v5, T0).outcome).toBe("duplicate");
    expect(r.receive(guidance({ version: 4, value: 0.1 }), T0).outcome).toBe("old_version");
    expect(r.receive(guidance({ version: 5, id: "coach-1:5b", value: 0.1 }), T0).outcome).toBe("old_version");
    expect(r.effective(T0).riskScale).toBe(0.5);
    expect(r.counters).toMatchObject({ received: 4, applied: 1, duplicates: 1, oldVersions: 2, rejected: 0 });
    expect(r.receive(guidance({ version: 6, value: 0.7 }), T0).outcome).toBe("applied");
    expect(r.effective(T0).riskScale).toBe(0.7);
  });

  // R16: a rejected message is counted and logged with field and value; the last valid guidance stays.
  it("R16 rejections keep the last valid guidance in force, counted and logged with field and value", () => {
    const events: ReceiverEvent[] = [];
    const r = new GuidanceReceiver({ log: (e) => events.push(e) });
    r.receive(guidance({ value: 0.6 }), T0);
    const bad: Array<[unknown, string, string]> = [
      ["{not json", "malformed_json", ""],
      [JSON.stringify(guidance({ value: 50 })), "invalid_field", "value"],
      [JSON.stringify(guidance({ issuedAt: T0 + 60_000, expiresAt: T0 + H })), "future_dated", "issuedAt"],
      [JSON.stringify(guidance({ issuedAt: T0 - 10 * H, expiresAt: T0 - 9 * H })), "expired", "expiresAt"],
      [JSON.stringify(guidance({ issuedAt: T0 - 5 * H, expiresAt: T0 + H })), "expired", "issuedAt"],
      [JSON.stringify(guidance({ schemaVersion: 7 })), "unsupported_schema_version", "schemaVersion"],
      [JSON.stringify({ ...guidance(), extra: 1 }), "invalid_field", "extra"],
      ["x".repeat(1 << 20), "too_large", ""],
    ];
    for (const [raw, code, field] of bad) {
      const res = r.receive(raw, T0);
      expect(res.outcome).toBe("rejected");
      expect(res.rejection).toMatchObject({ code, field });
    }
    expect(r.counters.rejected).toBe(bad.length);
    expect(r.counters.rejectedByCode.expired).toBe(2);
    expect(r.effective(T0).riskScale).toBe(0.6);
    const warn = events.filter((e) => e.level === "warn");
    expect(warn).toHaveLength(bad.length);
    expect(warn[1]!.line).toBe("coach_guidance rejected: invalid_field at value: expected a number in [0, 1] for adjust_risk (got 50); the guidance in force is kept");
  });

  it("the seed form applies in arrival order for seedTtlMs, and can be refused", () => {
    const r = new GuidanceReceiver({ seedTtlMs: 2 * H });
    expect(r.receive('{"guidance":"adjust_risk","value":0.8}', T0).outcome).toBe("applied");
    expect(r.effective(T0 + H).riskScale).toBe(0.8);
    expect(r.effective(T0 + 3 * H).riskScale).toBe(1);
    // A seed-form message never blocks a versioned one.
    expect(r.receive(guidance({ version: 1, value: 0.3 }), T0 + H).outcome).toBe("applied");
    const strict = new GuidanceReceiver({ acceptSeedForm: false });
    expect(strict.receive('{"guidance":"adjust_risk","value":0.8}', T0).rejection?.code).toBe("seed_form_refused");
  });

  // R12/R15: guidance applies while fresh, then falls back to neutral; a silent coach is flagged stale.
  it("R12 R15 expired or stale guidance falls back to neutral; a silent coach is stale", () => {
    const r = new GuidanceReceiver({ maxAgeMs: 3 * H, coachStaleMs: 2 * H });
    r.receive(guidance({ value: 0.4, expiresAt: T0 + 10 * H }), T0);
    expect(r.effective(T0 + 3 * H).riskScale).toBe(0.4);
    expect(r.effective(T0 + 3 * H + 1).riskScale).toBe(1);
    const short = new GuidanceReceiver();
    short.receive(guidance({ guidance: "size", value: 0.5, expiresAt: T0 + H }), T0);
    expect(short.effective(T0 + H).sizeScale).toBe(0.5);
    expect(short.effective(T0 + H + 1).sizeScale).toBe(1);
    expect(r.coachStale(T0 + H)).toBe(false);
    expect(r.coachStale(T0 + 2 * H + 1)).toBe(true);
    expect(r.receiveHeartbeat(JSON.stringify({ ...EXAMPLES.heartbeat, ts: T0 + 2 * H }), T0 + 2 * H)).toBe(true);
    expect(r.coachStale(T0 + 3 * H)).toBe(false);
    expect(r.receiveHeartbeat("{}", T0)).toBe(false);
  });

  it("a snapshot restores versions and guidance across a restart", () => {
    const a = new GuidanceReceiver();
    a.receive(guidance({ version: 9, value: 0.5 }), T0);
    const b = new GuidanceReceiver();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.receive(guidance({ version: 8 }), T0).outcome).toBe("old_version");
    expect(b.receive(guidance({ version: 9 }), T0).outcome).toBe("duplicate");
    expect(b.effective(T0).riskScale).toBe(0.5);
  });
});

const params: GuidanceFilterParams = { commission: 0.001, buyFactor: 1.0005, minBuyUsd: 1, minSellCoins: 0.0001, minSellUsd: 0, baseExposureCap: 1 };
const setup = (...msgs: Array<Record<string, unknown>>): { f: GuidanceFilter; order: Order } => {
  const r = new GuidanceReceiver();
  for (const m of msgs) expect(r.receive(m, T0).outcome).toBe("applied");
  return { f: new GuidanceFilter(r, params, (row) => T0 + row * H), order: new Order() };
};
const buy = (order: Order, usd: number): HoldCode => {
  order.spendUsd = usd;
  order.sellCoins = 0;
  return HoldCode.TRADE;
};
const sell = (order: Order, coins: number): HoldCode => {
  order.spendUsd = 0;
  order.sellCoins = coins;
  return HoldCode.TRADE;
};

describe("GuidanceFilter", () => {
  it("with nothing in force, the order and the code pass untouched", () => {
    const { f, order } = setup();
    expect(f.filter(buy(order, 123.456), order, 1000, 0.5, 100, 1)).toBe(HoldCode.TRADE);
    expect(order.spendUsd).toBe(123.456);
    expect(f.filter(HoldCode.HOLD_ACTION, order, 1000, 0.5, 100, 1)).toBe(HoldCode.HOLD_ACTION);
    expect(f.last.changed).toBe(false);
  });

  it("timing N holds exactly the next N ticks, holds included, then lets orders through", () => {
    const { f, order } = setup(guidance({ guidance: "timing", value: 3 }));
    const codes: HoldCode[] = [];
    for (let t = 1; t <= 5; t++) codes.push(f.filter(t === 2 ? HoldCode.HOLD_ACTION : buy(order, 100), order, 1000, 0, 100, t));
    expect(codes).toEqual([HoldCode.WAIT, HoldCode.HOLD_ACTION, HoldCode.WAIT, HoldCode.TRADE, HoldCode.TRADE]);
  });

  it("size scales buys and sells; a size cut below the minimum holds", () => {
    const { f, order } = setup(guidance({ guidance: "size", value: 0.25 }));
    expect(f.filter(buy(order, 400), order, 1000, 2, 100, 1)).toBe(HoldCode.TRADE);
    expect(order.spendUsd).toBe(100);
    expect(f.filter(sell(order, 2), order, 1000, 2, 100, 1)).toBe(HoldCode.TRADE);
    expect(order.sellCoins).toBe(0.5);
    expect(f.filter(buy(order, 3), order, 1000, 2, 100, 1)).toBe(HoldCode.CASH_BELOW_MINIMUM);
    expect([order.spendUsd, order.sellCoins]).toEqual([0, 0]);
  });

  it("adjust_risk caps the exposure after a buy, checked by filling the order (independent of the formula)", () => {
    const { f, order } = setup(guidance({ guidance: "adjust_risk", value: 0.3 }));
    const price = 200;
    const cash = 8000;
    const coins = 10; // 2000 of 10000: exposure 0.2
    expect(f.filter(buy(order, 8000), order, cash, coins, price, 1)).toBe(HoldCode.TRADE);
    const fill = new Fill();
    executeOrder(cash, coins, order, price * params.buyFactor, price, params.commission, fill);
    const exposure = (fill.coins * price) / (fill.cash + fill.coins * price);
    expect(exposure).toBeCloseTo(0.3, 12);
    // Already at the cap: the buy holds; a sell passes untouched.
    expect(f.filter(buy(order, 100), order, fill.cash, fill.coins, price, 2)).toBe(HoldCode.EXPOSURE_CAP);
    expect(f.filter(sell(order, 1), order, fill.cash, fill.coins, price, 2)).toBe(HoldCode.TRADE);
    expect(order.sellCoins).toBe(1);
    // A small buy under the cap is not changed.
    expect(f.filter(buy(order, 50), order, cash, coins, price, 1)).toBe(HoldCode.TRADE);
    expect(order.spendUsd).toBe(50);
  });

  it("expired guidance is neutral again", () => {
    const { f, order } = setup(guidance({ guidance: "size", value: 0.5, expiresAt: T0 + 2 * H }));
    f.filter(buy(order, 100), order, 1000, 0, 100, 2);
    expect(order.spendUsd).toBe(50);
    f.filter(buy(order, 100), order, 1000, 0, 100, 3);
    expect(order.spendUsd).toBe(100);
  });

  // R9 in part: the coach cannot loosen a hard cap composed after it.
  it("a hard cap composed after the guidance wins", () => {
    const { f, order } = setup(guidance({ guidance: "size", value: 1 }));
    const hardCap: OrderFilter = {
      filter(code, o, cash) {
        if (o.spendUsd > 0.1 * cash) o.spendUsd = 0.1 * cash;
        return code;
      },
    };
    const both = composeOrderFilters(f, hardCap);
    expect(both.filter(buy(order, 1000), order, 1000, 0, 100, 1)).toBe(HoldCode.TRADE);
    expect(order.spendUsd).toBe(100);
  });
});
