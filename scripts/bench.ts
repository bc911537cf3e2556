/**
 * npm run bench [-- --json] [--only env,agent,sweep] [--runs 5] [--seconds 0.5] [--envs 64] [--preset seed]
 *                 [--data file.csv] [--long-run-episodes N] [--reference-episodes N]
 * Benchmarks composed from sections; each section returns flat figures. Human-readable lines go first;
 * with --json the LAST line is one JSON object merging every section's figures (vs-seed.sh reads it).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { benchEnv } from "../src/env/bench.js";
import { ENV_PRESET_NAMES, type EnvPresetName } from "../src/env/index.js";

const flagsSchema = z.object({
  /** Print the merged figures as one JSON object on the last line. */
  json: z.boolean().default(false),
  /** Comma-separated section names to run (default: all). */
  only: z.string().optional(),
  /** Timed runs per figure (median reported). */
  runs: z.coerce.number().int().min(1).default(5),
  /** Seconds per timed run. */
  seconds: z.coerce.number().gt(0).default(0.5),
  /** Envs of the vectorised env bench. */
  envs: z.coerce.number().int().min(1).default(64),
  /** Env preset the env section runs. */
  preset: z.enum(ENV_PRESET_NAMES as [EnvPresetName, ...EnvPresetName[]]).default("seed"),
  /** Candle CSV for the agent section (default: the embedded market). */
  data: z.string().optional(),
  /** Agent section: episodes of a long seed-preset run sampled for memory growth (0 skips it). */
  longRunEpisodes: z.coerce.number().int().min(0).default(0),
  /** Agent section: episodes of the article's PyTorch agent run side by side for the ratio (0 skips it). */
  referenceEpisodes: z.coerce.number().int().min(0).default(0),
});
type Flags = z.output<typeof flagsSchema>;

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
    name: "sweep",
    async run(_flags, log) {
      // Imported on demand: starts its own redis-server and pool workers.
      const { benchSweepThroughput } = await import("../src/queue/bench.js");
      return { ...(await benchSweepThroughput({ log })) };
    },
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean" },
      only: { type: "string" },
      runs: { type: "string" },
      seconds: { type: "string" },
      envs: { type: "string" },
      preset: { type: "string" },
      data: { type: "string" },
      "long-run-episodes": { type: "string" },
      "reference-episodes": { type: "string" },
    },
    strict: true,
  });
  const flags = flagsSchema.parse({
    ...values,
    longRunEpisodes: values["long-run-episodes"],
    referenceEpisodes: values["reference-episodes"],
  });
  const wanted = flags.only?.split(",").map((s) => s.trim());
  const unknown = wanted?.filter((w) => !SECTIONS.some((s) => s.name === w)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown bench section(s) ${unknown.join(", ")}: expected ${SECTIONS.map((s) => s.name).join(", ")}`);
  const figures: Figures = { node: process.version, platform: `${process.platform}-${process.arch}` };
  for (const section of SECTIONS) {
    if (wanted !== undefined && !wanted.includes(section.name)) continue;
    Object.assign(figures, await section.run(flags, (line) => console.log(line)));
  }
  if (flags.json) console.log(JSON.stringify(figures));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
