import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseGuidance, type CoachGuidance, type PpoStateInput } from "../bus/messages.js";
import { MemorySaver } from "@langchain/langgraph";
import { Coach } from "./coach.js";
import { initialCycleState, runCycleSync, type CycleState, type DecisionTrace } from "./cycle.js";
import { CoachError } from "./errors.js";
import { FakeChatModel } from "./fake-chat-model.js";
import { RULE_PATH_NODES } from "./graph.js";
import { llmSubgoal } from "./llm.js";
import { loadRules, ruleSetFrom, type RuleInput } from "./rules.js";

/** A MemorySaver that counts its checkpoint writes. */
class CountingSaver extends MemorySaver {
  puts = 0;
  override put(...args: Parameters<MemorySaver["put"]>): ReturnType<MemorySaver["put"]> {
    this.puts++;
    return super.put(...args);
  }
}

const H = 3_600_000;
const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), "drl-coach-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A state per tick: price path, portfolio value path, exposure, actions. */
function states(prices: readonly number[], values: readonly number[], actions: ReadonlyArray<"hold" | "buy" | "sell"> = [], fee = 0): PpoStateInput[] {
  let peak = 0;
  return prices.map((price, i) => {
    const value = values[i]!;
    peak = Math.max(peak, value);
    return {
      schemaVersion: 1,
      seq: i,
      ts: T0 + i * H,
      price,
      action: actions[i] ?? "hold",
      reward: 0,
      portfolio: { cash: value / 2, coins: value / 2 / price, value },
      exposure: 0.5,
      drawdown: 1 - value / peak,
      fee,
      intervalMs: H,
      mode: "backtest",
    } as PpoStateInput;
  });
}

const flat = (n: number, x: number): number[] => Array.from({ length: n }, () => x);
const doc = (rules: RuleInput[], settings: Record<string, unknown> = {}): unknown => ({ schemaVersion: 1, settings, rules });

describe("rules file: validated at load, errors name the rule and the field", () => {
  it("loads the default rules", () => {
    const set = loadRules();
    expect(set.rules.length).toBeGreaterThan(3);
    expect(set.settings.shortWindow).toBe(24);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ["an unknown fact", doc([{ id: "r1", when: [{ fact: "volatilty", op: ">", value: 1 }], propose: { guidance: "none" } }]), /rules\[0\] \(id "r1"\): when\[0\]\.fact: unknown fact "volatilty"/],
    ["a string for a number fact", doc([{ id: "r1", when: [{ fact: "drawdown", op: ">", value: "big" }], propose: { guidance: "none" } }]), /rules\[0\] \(id "r1"\): when\[0\]\.value: fact drawdown is a number/],
    ["an unknown enum value", doc([{ id: "ok", propose: { guidance: "none" } }, { id: "r2", when: [{ fact: "volRegime", op: "==", value: "wild" }], propose: { guidance: "none" } }]), /rules\[1\] \(id "r2"\): when\[0\]\.value: expected one of low, normal, high, unknown/],
    ["a value out of bounds", doc([{ id: "r1", propose: { guidance: "adjust_risk", value: 2 } }]), /rules\[0\] \(id "r1"\): propose\.value: expected a number in \[0, 1\] for adjust_risk, got 2/],
    ["a missing value", doc([{ id: "r1", propose: { guidance: "timing" } }]), /propose\.value: missing/],
    ["both propose and reject", doc([{ id: "r1", propose: { guidance: "none" }, reject: "size" }]), /rules\[0\] \(id "r1"\): propose: expected exactly one of propose or reject/],
    ["a duplicate id", doc([{ id: "r1", propose: { guidance: "none" } }, { id: "r1", propose: { guidance: "none" } }]), /rules\[1\] \(id "r1"\): id: duplicate id/],
    ["an unknown field", doc([{ id: "r1", propose: { guidance: "none" }, priority: 3 } as unknown as RuleInput]), /rules\[0\] \(id "r1"\): priority: unknown field "priority"/],
    ["a bad op", doc([{ id: "r1", when: [{ fact: "drawdown", op: "=>", value: 1 } as never], propose: { guidance: "none" } }]), /rules\[0\] \(id "r1"\): when\[0\]\.op/],
  ];
  for (const [name, raw, re] of bad) {
    it(name, () => {
      let err: unknown;
      try {
        ruleSetFrom(raw, "my-rules.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoachError);
      expect((err as CoachError).message).toMatch(/^invalid_rules at my-rules\.json: /);
      expect((err as CoachError).message).toMatch(re);
    });
  }
});

const RULES = ruleSetFrom(
  doc(
    [
      { id: "deep-drawdown", when: [{ fact: "drawdown", op: ">=", value: 0.1 }], propose: { guidance: "adjust_risk", value: 0.5 }, preference: 10, ttlTicks: 4 },
      { id: "vol-size", when: [{ fact: "volRegime", op: "==", value: "high" }], propose: { guidance: "size", value: 0.5 }, preference: 5 },
      { id: "vol-wait", when: [{ fact: "volRegime", op: "==", value: "high" }], propose: { guidance: "timing", value: 2 }, preference: 5 },
      { id: "no-size-when-flat", when: [{ fact: "exposureBucket", op: "==", value: "flat" }], reject: "size" },
    ],
    { shortWindow: 4, window: 12, ttlTicks: 3 },
  ),
);

const run = (inputs: readonly unknown[], rules = RULES): CycleState[] => {
  let s = initialCycleState();
  return inputs.map((x, i) => (s = runCycleSync(s, x, T0 + i * H, { rules, coachId: "c" })));
};

describe("the decision cycle (sync runner)", () => {
  it("elaborates facts from the states; volatility is the sample std of log returns (hand-worked)", () => {
    const prices = [100, 110, 99, 108.9];
    const out = run(states(prices, flat(4, 1000)));
    const f = out[3]!.facts!;
    // log returns: ln 1.1, ln 0.9, ln 1.1 → mean m = (2 ln1.1 + ln0.9)/3; std with n − 1.
    const r = [Math.log(1.1), Math.log(0.9), Math.log(1.1)];
    const m = (r[0]! + r[1]! + r[2]!) / 3;
    const sd = Math.sqrt(((r[0]! - m) ** 2 + (r[1]! - m) ** 2 + (r[2]! - m) ** 2) / 2);
    expect(f.volatility).toBeCloseTo(sd, 14);
    expect(f.trend).toBeCloseTo(0.089, 12);
    expect(f.volLong).toBeNull(); // fewer than 2 short windows seen
    expect(f.volRegime).toBe("unknown");
    expect(f.drawdown).toBe(0);
  });

  it("a matching rule publishes versioned guidance with the rule's lifetime; the same guidance is re-sent every refreshTicks", () => {
    const values = [1000, 1000, 880, 870, 860, 850, 840, 830];
    const out = run(states(flat(8, 100), values));
    const published = out.filter((s) => s.trace!.output === "published").map((s) => s.guidance!);
    expect(out[2]!.trace!.chosen?.rule).toBe("deep-drawdown");
    expect(published[0]).toMatchObject({ id: "c:1", version: 1, guidance: "adjust_risk", value: 0.5, issuedAt: T0 + 2 * H, expiresAt: T0 + 6 * H, stateSeq: 2, source: "rule", rule: "deep-drawdown" });
    expect(parseGuidance(published[0]).ok).toBe(true);
    expect(out[3]!.trace!.output).toBe("unchanged");
    // Re-sent once it is refreshTicks (2) old, so the trader's copy never ages past its maxAge.
    expect(out.map((s) => s.trace!.output)).toEqual(["no_change", "no_change", "published", "unchanged", "published", "unchanged", "published", "unchanged"]);
    expect(published.map((g) => g.version)).toEqual([1, 2, 3]);
  });

  it("a tie is an impasse; without an LLM the default takes the first tied rule", () => {
    // Calm for 8 ticks, then wild swings: the short window's volatility jumps above 1.5× the long one.
    const prices = [...flat(8, 100).map((p, i) => p + (i % 2) * 0.1), 110, 95, 112, 90];
    const out = run(states(prices, flat(prices.length, 1000)));
    const last = out[out.length - 1]!;
    expect(last.facts!.volRegime).toBe("high");
    expect(last.trace!.decision).toBe("impasse:tie");
    expect(last.trace!.resolution).toMatchObject({ by: "default", operator: { rule: "vol-size" } });
  });

  it("a reject preference removes a kind (SOAR's reject), breaking the tie", () => {
    const prices = [...flat(8, 100).map((p, i) => p + (i % 2) * 0.1), 110, 95, 112, 90];
    const flatStates = states(prices, flat(prices.length, 1000)).map((s) => ({ ...s, exposure: 0 }));
    const last = run(flatStates).at(-1)!;
    expect(last.trace!.rejections).toEqual([{ rule: "no-size-when-flat", kind: "size" }]);
    expect(last.trace!.decision).toBe("selected");
    expect(last.trace!.chosen?.rule).toBe("vol-wait");
  });

  it("accepts the seed's minimal state (unknown facts stay null) and refuses bad input without a decision", () => {
    const out = run([{ action: "buy", amount: 0.1, price: 50000, reward: 15 }, '{"action":"buy","price":-1}', "[]"]);
    expect(out[0]!.trace!.input).toBe("ok");
    expect(out[0]!.facts!.drawdown).toBeNull();
    expect(out[0]!.trace!.decision).toBe("impasse:no_candidate");
    expect(out[1]!.trace!.input).toBe("rejected");
    expect(out[1]!.trace!.inputError).toMatch(/ppo_state rejected: invalid_field at price/);
    expect(out[2]!.trace!.output).toBe("none");
  });

  it("R14 an old or repeated seq is ignored", () => {
    const s = states([100, 101], [1000, 1000]);
    const out = run([s[0], s[1], s[0]]);
    expect(out[2]!.trace!.input).toBe("old_seq");
    expect(out[2]!.memory.ticks).toBe(2);
  });
});

describe("the LangGraph graph", () => {
  it("gives the same traces as the sync runner over a run of states", async () => {
    const prices = Array.from({ length: 40 }, (_, i) => 100 * (1 + 0.03 * Math.sin(i / 2) + (i > 25 ? 0.08 * ((i % 3) - 1) : 0)));
    const values = prices.map((p, i) => 1000 * (i < 20 ? 1 : p / prices[19]!));
    const inputs = states(prices, values);
    const sync = run(inputs);
    const coach = new Coach({ rules: RULES, coachId: "c" });
    for (let i = 0; i < inputs.length; i++) {
      const trace = await coach.step(inputs[i], T0 + i * H);
      expect(trace).toEqual(sync[i]!.trace);
    }
    expect(sync.some((s) => s.trace!.output === "published")).toBe(true);
    expect(await coach.version()).toBe(sync.at(-1)!.version);
  });

  it("every phase that ran has its trace entry, in SOAR's order", async () => {
    const phases = (t: DecisionTrace): string[] => t.phases.map((p) => p.phase);
    const coach = new Coach({ rules: RULES, coachId: "c" });
    const prices = [...flat(8, 100).map((p, i) => p + (i % 2) * 0.1), 110, 95, 112, 90];
    const inputs = states(prices, flat(prices.length, 1000));
    const traces: DecisionTrace[] = [];
    for (let i = 0; i < inputs.length; i++) traces.push(await coach.step(inputs[i], T0 + i * H));
    const tie = traces.at(-1)!;
    expect(tie.decision).toBe("impasse:tie");
    expect(phases(tie)).toEqual(["input", "elaborate", "propose", "evaluate", "decide", "subgoal", "apply", "output"]);
    expect(tie.phases.find((p) => p.phase === "subgoal")!.note).toBe("default: vol-size");
    expect(tie.phases.find((p) => p.phase === "decide")!.note).toBe("impasse: tie");
    const deep = await new Coach({ rules: RULES, coachId: "d" }).step(states([100, 100], [1000, 850])[1], T0 + H);
    // A first state: no history, drawdown 15 % → deep-drawdown.
    expect(phases(deep)).toEqual(["input", "elaborate", "propose", "evaluate", "decide", "apply", "output"]);
    expect(deep.phases.map((p) => p.note).slice(3)).toEqual(["1 candidate", "selected deep-drawdown", "adjust_risk 0.5, version 1", "published"]);
    const bad = await coach.step('{"action":"buy","price":-1}', T0);
    expect(phases(bad)).toEqual(["input", "output"]);
    expect(bad.phases[0]!.note).toBe("rejected");
  });

  it("a rule-path cycle is one LangGraph node and three checkpoints (LangGraph writes nodes + 2: the input, then one per superstep)", async () => {
    const saver = new CountingSaver();
    const coach = new Coach({ rules: RULES, coachId: "c", checkpointer: saver });
    const inputs = states(flat(6, 100), [1000, 1000, 880, 870, 860, 850]);
    const nodes: string[][] = [];
    for (let i = 0; i < inputs.length; i++) {
      const ran: string[] = [];
      const stream = await coach.graph.stream({ input: { rawState: inputs[i], now: T0 + i * H, sentAt: null } }, { configurable: { thread_id: "c" }, durability: "sync", streamMode: "updates" });
      for await (const chunk of stream) ran.push(...Object.keys(chunk as object));
      nodes.push(ran);
    }
    expect(nodes).toEqual(inputs.map(() => [...RULE_PATH_NODES]));
    expect(saver.puts).toBe((RULE_PATH_NODES.length + 2) * inputs.length);
  });

  it("a checkpoint of the old graph layout (one channel per field) is read on upgrade: working memory and version are kept", async () => {
    const { Annotation, StateGraph, START, END } = await import("@langchain/langgraph");
    const inputs = states(flat(6, 100), [1000, 1000, 880, 870, 860, 850]);
    const sync = run(inputs);
    // The state after cycle 5, written the way the two-node graph wrote it: every field its own channel.
    const after5 = { ...sync[4]!, trace: null };
    const fields = Object.fromEntries(Object.keys(after5).map((k) => [k, Annotation<unknown>({ reducer: (_a: unknown, b: unknown) => b, default: () => null })]));
    const saver = new MemorySaver();
    const old = new StateGraph(Annotation.Root(fields))
      .addNode("act", () => after5 as Record<string, unknown>)
      .addEdge(START, "act")
      .addEdge("act", END)
      .compile({ checkpointer: saver });
    await old.invoke({}, { configurable: { thread_id: "up" } });
    const coach = new Coach({ rules: RULES, coachId: "up", checkpointer: saver });
    expect(await coach.version()).toBe(sync[4]!.version);
    expect((await coach.saved()).memory).toEqual(sync[4]!.memory);
    expect(await coach.resume()).toBeNull();
    expect(await coach.step(inputs[5], T0 + 5 * H)).toEqual(sync[5]!.trace);
  });

  it('durability "exit": one checkpoint per cycle and the same traces; a node that throws still leaves its checkpoint', async () => {
    const saver = new CountingSaver();
    const inputs = states(flat(5, 100), [1000, 1000, 880, 870, 860]);
    const sync = run(inputs);
    const make = (killSeq: number): Coach =>
      new Coach({
        rules: RULES,
        coachId: "c",
        checkpointer: saver,
        durability: "exit",
        onPhase: (phase, s) => {
          if (phase === "output" && s.state?.form === "v1" && s.state.seq === killSeq) throw new Error("failed");
        },
      });
    const coach = make(3);
    for (let i = 0; i < 3; i++) expect(await coach.step(inputs[i], T0 + i * H)).toEqual(sync[i]!.trace);
    expect(saver.puts).toBe(3);
    // An error (not a kill -9: then nothing of the cycle is saved) is checkpointed on exit: resume finishes the cycle.
    await expect(coach.step(inputs[3], T0 + 3 * H)).rejects.toThrow("failed");
    const again = make(-1);
    expect(await again.resume()).toEqual(sync[3]!.trace);
    expect(await again.step(inputs[4], T0 + 4 * H)).toEqual(sync[4]!.trace);
  });

  it("a coach killed inside a node resumes from the checkpoint before it: the same trace, each guidance published once", async () => {
    const saver = new MemorySaver();
    const published: CoachGuidance[] = [];
    const inputs = states(flat(5, 100), [1000, 1000, 880, 870, 860]);
    const make = (killAt: string | null, killSeq = -1): Coach =>
      new Coach({
        rules: RULES,
        coachId: "c",
        checkpointer: saver,
        publish: async (g) => {
          published.push(g);
          return true;
        },
        onPhase: (phase, s) => {
          if (phase === killAt && s.state?.form === "v1" && s.state.seq === killSeq) throw new Error(`killed in ${phase}`);
        },
      });
    const sync = run(inputs);
    const first = make("output", 2);
    await first.step(inputs[0], T0);
    await first.step(inputs[1], T0 + H);
    // Killed in the output phase, after apply formed v1 and before it was published.
    await expect(first.step(inputs[2], T0 + 2 * H)).rejects.toThrow("killed in output");
    expect(published).toEqual([]);
    const second = make("evaluate", 3);
    expect(await second.resume()).toEqual(sync[2]!.trace);
    expect(published.map((g) => g.id)).toEqual(["c:1"]);
    // Killed in evaluate, after input, elaborate and propose ran: they are redone from the input's checkpoint.
    await expect(second.step(inputs[3], T0 + 3 * H)).rejects.toThrow("killed in evaluate");
    const third = make(null);
    expect(await third.resume()).toEqual(sync[3]!.trace);
    expect(await third.step(inputs[4], T0 + 4 * H)).toEqual(sync[4]!.trace);
    expect(published.map((g) => g.id)).toEqual(sync.filter((x) => x.trace!.output === "published").map((x) => x.guidance!.id));
  });
});

// R17: LLM failures publish nothing; retries are bounded; a hang is cut by the timeout.
describe("R17 the impasse subgoal through a chat model", () => {
  const tieStates = (): PpoStateInput[] => {
    const prices = [...flat(8, 100).map((p, i) => p + (i % 2) * 0.1), 110, 95, 112, 90];
    return states(prices, flat(prices.length, 1000));
  };
  const runWith = async (model: FakeChatModel, opts = {}): Promise<{ traces: Awaited<ReturnType<Coach["step"]>>[]; published: unknown[]; ms: number }> => {
    const published: unknown[] = [];
    const coach = new Coach({
      rules: ruleSetFrom(doc((RULES.rules as RuleInput[]).slice(), { shortWindow: 4, window: 12 })),
      coachId: "c",
      llm: llmSubgoal(model, "fake:test", { timeoutMs: 150, maxAttempts: 3, retryDelayMs: 5, ...opts }),
      publish: async (g) => {
        published.push(g);
        return true;
      },
    });
    const t0 = Date.now();
    const traces = [];
    const inputs = tieStates();
    for (let i = 0; i < inputs.length; i++) traces.push(await coach.step(inputs[i], T0 + i * H));
    return { traces, published, ms: Date.now() - t0 };
  };
  // The states before the tie hit a no-candidate impasse each (no rule matches): the LLM is asked there too.
  const failures: Array<[string, ConstructorParameters<typeof FakeChatModel>[0], string, number]> = [
    ["prose", [{ reply: "I think you should reduce risk a bit." }], "prose", 1],
    ["invalid JSON", [{ reply: '{"guidance": "size", value: 0.5}' }], "invalid_json", 1],
    ["an out-of-range value", [{ reply: '{"guidance":"adjust_risk","value":50,"reason":"x"}' }], "invalid_answer", 1],
    ["null", [{ reply: "null" }], "prose", 1],
    ["a refusal", [{ reply: "I can't help with trading decisions." }], "refusal", 1],
    ["a hang that ignores the abort signal", [{ hang: true, ignoreAbort: true }], "timeout", 1],
    ["HTTP 500 every time", [{ httpError: 500 }], "http_error", 3],
    ["HTTP 401", [{ httpError: 401 }], "http_error", 1],
  ];
  for (const [name, script, failure, attempts] of failures) {
    it(`${name}: nothing published, ${attempts} attempt(s)`, async () => {
      const model = new FakeChatModel(script);
      const { traces, published, ms } = await runWith(model);
      const last = traces.at(-1)!;
      expect(last.decision).toBe("impasse:tie");
      expect(last.resolution).toMatchObject({ by: "llm", ok: false, operator: null, attempts });
      expect(last.resolution!.error).toMatch(new RegExp(`^${failure}: `));
      expect(last.output).toBe("no_change");
      expect(published).toEqual([]);
      expect(model.calls).toBe(traces.filter((t) => t.decision.startsWith("impasse")).length * attempts);
      expect(ms).toBeLessThan(traces.length * 3 * 200 + 2000);
    });
  }

  it("HTTP 500 then an answer: retried once, applied and chunked; the same situation is then decided without the LLM", async () => {
    const chunksFile = join(dir, "chunks.json");
    const withChunks = (): typeof RULES => ({ ...loadRules(undefined, chunksFile), rules: RULES.rules, settings: { ...RULES.settings } });
    const model = new FakeChatModel([{ httpError: 503 }, { reply: '```json\n{"guidance":"timing","value":2,"reason":"wild swings: wait"}\n```' }]);
    const coach = new Coach({ rules: withChunks(), coachId: "c", llm: llmSubgoal(model, "fake:test", { retryDelayMs: 1 }) });
    const inputs = tieStates();
    const traces: DecisionTrace[] = [];
    const calls: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const before = model.calls;
      traces.push(await coach.step(inputs[i], T0 + i * H));
      calls.push(model.calls - before);
    }
    // The first impasse: 503, then the answer (2 attempts); it is applied as LLM guidance.
    const first = traces.findIndex((t) => t.decision.startsWith("impasse"));
    expect(calls[first]).toBe(2);
    expect(traces[first]!.resolution).toMatchObject({ by: "llm", ok: true, attempts: 2, operator: { guidance: "timing", value: 2 } });
    expect(traces[first]!.guidance).toMatchObject({ guidance: "timing", value: 2, source: "llm" });
    // The LLM's subgoal and its chunk are graph nodes of their own: both leave a trace entry.
    expect(traces[first]!.phases.map((p) => p.phase)).toEqual(["input", "elaborate", "propose", "evaluate", "decide", "subgoal", "chunk", "apply", "output"]);
    expect(traces[first]!.phases.find((p) => p.phase === "chunk")!.note).toMatch(/^learnt chunk-/);
    // Every later tick in a situation already met is decided by its chunk, with no LLM call.
    const saved = JSON.parse(readFileSync(chunksFile, "utf8")) as { chunks: Array<{ id: string; learned: { impasse: string } }> };
    expect(saved.chunks.length).toBeGreaterThanOrEqual(1);
    const byChunk = traces.filter((t) => t.chosen?.source === "chunk");
    expect(byChunk.length).toBeGreaterThan(0);
    traces.forEach((t, i) => {
      if (t.chosen?.source === "chunk") expect(calls[i]).toBe(0);
    });
    // A fresh coach with no LLM at all, on the rules and the chunks file: no impasse where the first one had the LLM.
    const offline = new Coach({ rules: withChunks(), coachId: "c2" });
    const again: DecisionTrace[] = [];
    for (let i = 0; i < inputs.length; i++) again.push(await offline.step(inputs[i], T0 + i * H));
    const impasses = traces.map((t, i) => (t.decision.startsWith("impasse") && traces[i]!.resolution?.ok ? i : -1)).filter((i) => i >= 0);
    for (const i of impasses) expect(again[i]!.decision).toBe("selected");
  });

  it("R18 a coach killed after the LLM answered (in chunk, then in output) resumes without asking it again; its guidance is published once", async () => {
    const model = new FakeChatModel([{ reply: '{"guidance":"timing","value":2,"reason":"wild swings: wait"}' }]);
    const saver = new MemorySaver();
    const published: CoachGuidance[] = [];
    const rules = ruleSetFrom(doc((RULES.rules as RuleInput[]).slice(), { shortWindow: 4, window: 12 }));
    const make = (killAt: string | null): Coach =>
      new Coach({
        rules,
        coachId: "k",
        checkpointer: saver,
        llm: llmSubgoal(model, "fake:test", { retryDelayMs: 1 }),
        publish: async (g) => {
          published.push(g);
          return true;
        },
        onPhase: (phase) => {
          if (phase === killAt) throw new Error(`killed in ${phase}`);
        },
      });
    // The first state is a no-candidate impasse (no rule matches): the LLM is asked, then the coach dies in chunk.
    const first = tieStates()[0]!;
    await expect(make("chunk").step(first, T0)).rejects.toThrow("killed in chunk");
    expect(model.calls).toBe(1);
    await expect(make("output").resume()).rejects.toThrow("killed in output");
    expect(model.calls).toBe(1);
    expect(published).toEqual([]);
    const done = await make(null).resume();
    expect(model.calls).toBe(1);
    expect(done?.resolution).toMatchObject({ by: "llm", ok: true, operator: { guidance: "timing", value: 2 } });
    expect(done?.phases.map((p) => p.phase)).toEqual(["input", "elaborate", "propose", "evaluate", "decide", "subgoal", "chunk", "apply", "output"]);
    expect(published.map((g) => [g.version, g.source])).toEqual([[1, "llm"]]);
    expect(await make(null).resume()).toBeNull();
  });
});
