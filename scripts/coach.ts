/**
 * `npm run coach -- --redis URL [--rules FILE] [--llm provider:model]`: the SOAR coach as a service
 * (src/coach/service.ts). `npm run coach -- --help` lists every flag; docs/coach.md.
 */
import { dirname, join } from "node:path";
import { mkdirSync } from "node:fs";
import { RedisBus, redactUrl } from "../src/bus/index.js";
import { CliError, defineCommand, flag, runCommand } from "../src/cli/index.js";
import { CoachError } from "../src/coach/errors.js";
import { LibsqlSaver } from "../src/coach/libsql-saver.js";
import { chatModelFor, llmSubgoal, parseLlmSpec } from "../src/coach/llm.js";
import { loadRules } from "../src/coach/rules.js";
import { DEFAULT_PRUNE, runCoachService, traceLine } from "../src/coach/service.js";
import { claimOutput, type OutputKind } from "../src/util/safe-output.js";
import { existsSync, readFileSync } from "node:fs";

const ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The coach's state folder: its LangGraph checkpoint database and the chunks it learnt. */
const COACH_STATE_OUTPUT: OutputKind = {
  name: "coach state folder",
  type: "folder",
  entries: [/^checkpoints\.db(-wal|-shm|-journal)?$/, "chunks.json", /^\.chunks\.json\..*\.tmp$/],
  describe(path) {
    const db = join(path, "checkpoints.db");
    if (!existsSync(db)) return existsSync(join(path, "chunks.json")) ? "a coach state folder (chunks only)" : null;
    const head = readFileSync(db).subarray(0, 16).toString("latin1");
    return head.startsWith("SQLite format 3") ? "a coach state folder (its checkpoint database and chunks)" : null;
  },
};

export const coachCommand = defineCommand({
  name: "npm run coach",
  summary: "Run the SOAR coach: consume ppo_state from Redis, publish coach_guidance, traces and a heartbeat.",
  description:
    "One LangGraph decision cycle per state: the SOAR phases input → elaborate → propose → evaluate → decide → [subgoal → chunk] → apply → output, in the graph node cycle (with an LLM on an impasse: cycle → subgoal → chunk → act). " +
    "Its state (a durable LangGraph checkpoint, the chunks it learnt) lives in --state: a coach killed mid-cycle resumes there, and " +
    "its guidance version never goes backwards. Without --llm impasses take the rules file's default; with it, an LLM failure " +
    "publishes nothing. SIGINT/SIGTERM stop after the current cycle. See docs/coach.md and docs/bus.md.",
  flags: {
    redis: flag.string("Redis URL (redis://[user:password@]host:port[/db])", { placeholder: "URL", unset: "required: the coach refuses to start without one" }),
    namespace: flag.string("prefix of every key and channel (the trader's)", { pattern: /^[A-Za-z0-9:_-]+$/, patternText: "letters, digits, : _ -", unset: "none" }),
    rules: flag.path("rules file (JSON, see src/coach/default-rules.json)", { placeholder: "FILE", unset: "the default rules" }),
    llm: flag.string("LLM for impasses, provider:model (openai, anthropic, ollama, google, mistral, groq; its @langchain package must be installed)", { placeholder: "P:M", unset: "rules only" }),
    llmTimeoutMs: flag.int("per LLM attempt (ms); keep attempts × timeout below the trader's interval", { min: 100, max: 600_000, default: 10_000 }),
    state: flag.path("the coach's state folder (checkpoint database, chunks.json)", { placeholder: "DIR", default: "coach-state" }),
    coachId: flag.string("the coach's id (guidance ids are <id>:<version>; one LangGraph thread)", { pattern: ID, patternText: "1–64 of [A-Za-z0-9._-]", default: "coach-1" }),
    group: flag.string("consumer group on ppo_state", { pattern: ID, patternText: "1–64 of [A-Za-z0-9._-]", default: "coach" }),
    heartbeatMs: flag.int("heartbeat period (ms)", { min: 100, max: 3_600_000, default: 5_000 }),
    pruneEvery: flag.int("prune the checkpoint database every N cycles, keeping --keep-checkpoints (0: never; the file then grows by a few checkpoints per cycle)", { min: 0, max: 1_000_000, default: DEFAULT_PRUNE.everyCycles }),
    keepCheckpoints: flag.int("checkpoints kept by a prune (the newest; resume needs only the last)", { min: 1, max: 1_000_000, default: DEFAULT_PRUNE.keep }),
    fsync: flag.switch("fsync the checkpoint database on every commit (SQLite synchronous=FULL: survives a power loss; slower). Without it a commit survives a kill of the process, not of the machine"),
  },
  interruptible: true,
  examples: [
    "npm run coach -- --redis redis://127.0.0.1:6379",
    "npm run coach -- --redis redis://coach:PASSWORD@127.0.0.1:6379 --rules my-rules.json --state coach-state/btc",
    "npm run coach -- --redis redis://127.0.0.1:6379 --llm openai:gpt-4o-mini",
  ],
  check(f) {
    if (f.redis === undefined) throw new CliError("missing_value", "the coach needs a Redis URL (e.g. --redis redis://127.0.0.1:6379); it has nothing to do without one", "--redis");
    if (!/^rediss?:\/\//.test(f.redis)) throw new CliError("invalid_flag", `expected a redis:// or rediss:// URL, got "${f.redis}"`, "--redis");
    if (f.llm !== undefined) {
      // A malformed --llm is a usage error (exit 2, nothing done), like any other bad flag value.
      try {
        parseLlmSpec(f.llm);
      } catch (err) {
        if (err instanceof CoachError) throw new CliError("invalid_flag", err.detail, "--llm");
        throw err;
      }
    }
  },
  async run(f, ctx) {
    const url = f.redis!;
    const state = claimOutput(f.state, { kind: COACH_STATE_OUTPUT, field: "--state", replaces: f.state });
    try {
      const rules = loadRules(f.rules ?? undefined, join(f.state, "chunks.json"));
      const llm = f.llm === undefined ? null : llmSubgoal(await chatModelFor(f.llm), f.llm, { timeoutMs: f.llmTimeoutMs, budgetMs: 2.5 * f.llmTimeoutMs });
      const bus = new RedisBus({ url, namespace: f.namespace ?? "", onError: () => {} });
      try {
        await bus.waitReady(5_000);
      } catch (err) {
        await bus.close();
        throw new CoachError("bus_unavailable", `${err instanceof Error ? err.message : String(err)}`, { field: "--redis" });
      }
      ctx.log(`coach: Redis ${redactUrl(url)}${f.namespace ? ` namespace "${f.namespace}"` : ""}, state ${dirname(join(f.state, "x"))}`);
      // Created only now: a start refused for its rules or its Redis leaves no empty state folder behind.
      mkdirSync(f.state, { recursive: true });
      const saver = new LibsqlSaver(join(f.state, "checkpoints.db"), { synchronous: f.fsync ? "full" : "normal" });
      try {
        const stats = await runCoachService({
          bus,
          rules,
          checkpointer: saver,
          coachId: f.coachId,
          llm,
          signal: ctx.signal,
          group: f.group,
          heartbeatMs: f.heartbeatMs,
          prune: f.pruneEvery === 0 ? null : { everyCycles: f.pruneEvery, keep: f.keepCheckpoints },
          log: ctx.log,
        });
        ctx.log(`coach: stopped after ${stats.cycles} cycles, ${stats.published} guidance published (${stats.dropped} dropped), version ${stats.version}, ${stats.pruned} checkpoints pruned`);
      } finally {
        saver.close();
        await bus.close();
      }
    } finally {
      state.release();
    }
  },
});

export { traceLine };
await runCommand(coachCommand);
