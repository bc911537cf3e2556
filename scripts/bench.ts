/**
 * `npm run bench`: benchmarks composed from sections; each section returns flat figures. Human-readable lines
 * go to stdout (stderr with --json, where stdout holds only the one JSON object merging every section's
 * figures; vs-seed.sh reads it). `--help` lists every flag.
 */
import { defineCommand, flag, runCommand } from "../src/cli/index.js";
import { benchEnv } from "../src/env/bench.js";
import { ENV_PRESET_NAMES, type EnvPresetName } from "../src/env/index.js";

interface Flags {
  readonly json: boolean;
  readonly runs: number;
  readonly seconds: number;
  readonly envs: number;
  readonly preset: EnvPresetName;
  readonly data?: string;
  readonly longRunEpisodes: number;
  readonly referenceEpisodes: number;
}

type Figures = Record<string, unknown>;
interface Section {
  readonly name: string;
  run(flags: Flags, log: (line: string) => void): Promise<Figures>;
}

const fmt = (x: number): string => x.toLocaleString("en-US", { maximumFractionDigits: 0 });

const SECTIONS: readonly Section[] = [
  {
    name: "env",
    async run(flags, log) {
      const r = await benchEnv({ config: flags.preset, numEnvs: flags.envs, runs: flags.runs, secondsPerRun: flags.seconds });
      log(`env (${flags.preset} preset, market: ${r.env_market}, ${r.env_market_rows} rows)`);
      log(`  vec env, ${r.env_num_envs} envs: ${fmt(r.env_steps_per_s_vec)} steps/s (median of ${r.env_vec_runs.map(fmt).join(", ")})`);
      log(`  single env:       ${fmt(r.env_steps_per_s_single)} steps/s (median of ${r.env_single_runs.map(fmt).join(", ")})`);
      return { ...r, env_preset: flags.preset };
    },
  },
  {
    name: "coach",
    async run(_flags, log) {
      // Imported on demand: LangGraph and a redis-server are not needed for the other sections.
      const { benchCoach } = await import("../src/coach/bench.js");
      return benchCoach({ log });
    },
  },
  {
    name: "agent",
    async run(flags, log) {
      // Imported on demand: the agent section loads TensorFlow.js, which `--only env` should not pay for.
      const { benchAgent } = await import("../src/agent/bench.js");
      return benchAgent({
        runs: flags.runs,
        log,
        longRunEpisodes: flags.longRunEpisodes,
        referenceEpisodes: flags.referenceEpisodes,
        ...(flags.data !== undefined ? { data: flags.data } : {}),
      });
    },
  },
  {
    name: "agent-big",
    async run(_flags, log) {
      const { benchBigNetworks } = await import("../src/agent/bench.js");
      return benchBigNetworks({ log });
    },
  },
  {
    name: "trade",
    async run(flags, log) {
      // The live trader: replay throughput with the journal on, and one tick's decision latency (src/live/bench.ts).
      const { benchTrade } = await import("../src/live/bench.js");
      return benchTrade({ runs: Math.min(flags.runs, 3), log });
    },
  },
  {
    name: "feed",
    async run(_flags, log) {
      // The live trader's candle feed: close → decision over REST polling and over the websocket (src/live/feed-bench.ts).
      const { benchFeed } = await import("../src/live/feed-bench.js");
      return benchFeed({ log });
    },
  },
  {
    name: "sweep",
    async run(_flags, log) {
      // Imported on demand: starts its own redis-server and pool workers.
      const { benchSweepThroughput } = await import("../src/queue/bench.js");
      return { ...(await benchSweepThroughput({ log })) };
    },
  },
];

export const benchCommand = defineCommand({
  name: "npm run bench",
  summary: "Benchmarks: env and training throughput, memory, the ratio to the article's PyTorch agent; the coach, the trader, sweeps.",
  description: "Human-readable lines first; with --json stdout holds only one JSON object merging every section's figures (vs-seed.sh reads it). See docs/env.md, docs/ppo.md, docs/coach.md, docs/live.md and docs/sweeps.md.",
  flags: {
    only: flag.list("sections to run", { unset: `all (${SECTIONS.map((s) => s.name).join(", ")})`, item: (s) => (SECTIONS.some((x) => x.name === s) ? null : `unknown section "${s}" (expected ${SECTIONS.map((x) => x.name).join(", ")})`) }),
    runs: flag.int("timed runs per figure (median reported)", { min: 1, default: 5 }),
    seconds: flag.number("seconds per timed run", { gt: 0, placeholder: "S", default: 0.5 }),
    envs: flag.int("envs of the vectorised env bench", { min: 1, default: 64 }),
    preset: flag.choice(ENV_PRESET_NAMES, "env preset the env section runs", { default: "seed" }),
    data: flag.path("candle CSV for the agent section", { placeholder: "FILE", unset: "the embedded market" }),
    longRunEpisodes: flag.int("agent section: episodes of a long seed-preset run sampled for memory growth (0 skips it)", { min: 0, default: 0 }),
    referenceEpisodes: flag.int("agent section: episodes of the article's PyTorch agent run side by side for the ratio (0 skips it)", { min: 0, default: 0 }),
  },
  json: true,
  examples: ["npm run bench", "npm run bench -- --only env --json", "npm run bench -- --only agent --reference-episodes 20"],
  async run(f, ctx) {
    const flags: Flags = { json: ctx.json, runs: f.runs, seconds: f.seconds, envs: f.envs, preset: f.preset, longRunEpisodes: f.longRunEpisodes, referenceEpisodes: f.referenceEpisodes, ...(f.data === undefined ? {} : { data: f.data }) };
    const figures: Figures = { node: process.version, platform: `${process.platform}-${process.arch}` };
    for (const section of SECTIONS) {
      if (f.only.length > 0 && !f.only.includes(section.name)) continue;
      Object.assign(figures, await section.run(flags, ctx.log));
    }
    ctx.out(figures);
  },
});

await runCommand(benchCommand);
