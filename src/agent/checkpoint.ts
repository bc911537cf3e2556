import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { checkOutput, type OutputKind } from "../util/safe-output.js";
import { agentConfigSchema, type AgentConfig } from "./config.js";
import type { OptimizerState } from "./engine.js";
import { AgentError } from "./errors.js";
import { layoutSignature, networkSpec, type NetworkSpec } from "./network-spec.js";

/**
 * A checkpoint is a folder, the unit promoted to live trading:
 *   manifest.json   everything needed to rebuild and audit the policy (schema below, docs/ppo.md "Checkpoints")
 *   weights.bin     the parameters in the shared layout, float64 little-endian
 *   optimizer.bin   Adam's first then second moments, float64 little-endian (for --resume)
 *   metrics.jsonl, timing.jsonl   the training log (written beside by train())
 * It is written into a temporary sibling folder and renamed into place, so that a reader never sees half of one;
 * an existing checkpoint is moved aside first and removed only once the new one is in place.
 */

export const CHECKPOINT_FORMAT = "drl-trading-lab/ppo-checkpoint";
/** 2: the policy head in `network.head`, the LSTM bias layout in `agent.network.lstmBias` (version 1 had one bias, a categorical head). */
export const CHECKPOINT_VERSION = 2;

const rngStateSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

const policyHeadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("categorical"), actions: z.number().int().min(1) }).strict(),
  z.object({ kind: z.literal("gaussian"), low: z.number(), high: z.number() }).strict(),
  z.object({ kind: z.literal("hybrid"), sides: z.number().int().min(2), sized: z.array(z.boolean()).readonly(), sideSigns: z.array(z.number()).readonly() }).strict(),
  z.object({ kind: z.literal("diagonal_gaussian"), dims: z.number().int().min(2) }).strict(),
]);

/**
 * A version-1 manifest as version 2: one LSTM bias ("single") and a categorical head over its actions. Only
 * what the manifest says is filled in; the layout check below still has the last word.
 */
function upgradeManifest(json: unknown): unknown {
  if (typeof json !== "object" || json === null) return json;
  const m = json as Record<string, unknown> & { formatVersion?: unknown; agent?: { network?: Record<string, unknown> }; network?: Record<string, unknown> };
  if (m.formatVersion !== 1) return json;
  const network = m.network ?? {};
  return {
    ...m,
    formatVersion: 2,
    agent: { ...m.agent, network: { lstmBias: "single", ...m.agent?.network } },
    network: { ...network, head: { kind: "categorical", actions: network["actionCount"] } },
  };
}

export const manifestSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    formatVersion: z.literal(CHECKPOINT_VERSION),
    /** ISO time the checkpoint was written. */
    createdAt: z.string(),
    /** The resolved agent config (preset name inside). */
    agent: agentConfigSchema,
    env: z.object({
      /** Env preset the config started from. */
      preset: z.string().nullable(),
      /** The resolved env config, fitted feature normalisation included (passed back to createVecEnv as is). */
      config: z.unknown(),
    }),
    network: z.object({
      observationSize: z.number().int().min(1),
      /** Categorical choices of the head (0 for a Gaussian head). */
      actionCount: z.number().int().min(0),
      /** The policy's distribution (policy-head.ts). */
      head: policyHeadSchema,
      parameterCount: z.number().int().min(1),
      /** Names and shapes of the parameter blocks, in order (network-spec.ts). */
      layout: z.string(),
    }),
    observation: z.object({
      /** Names of the observation's elements, in order (the env's observationSpace.labels). */
      labels: z.array(z.string()),
      /** The agent's running observation normalisation, or null. */
      normalization: z
        .object({ mean: z.array(z.number()), variance: z.array(z.number()), count: z.number(), clip: z.number() })
        .nullable(),
    }),
    actions: z.object({ labels: z.array(z.string()) }),
    data: z.object({
      /** CSV path, or "embedded" for the project's synthetic market. */
      source: z.string(),
      symbol: z.string(),
      timeframe: z.string(),
      /** SHA-256 of the source file's text. */
      fileSha256: z.string(),
      /** SHA-256 of the selected candles (timestamps and OHLCV as float64 little-endian). */
      candlesSha256: z.string(),
      /** The training range actually used: first and last bar (ISO, UTC) and rows. */
      first: z.string().nullable(),
      last: z.string().nullable(),
      rows: z.number().int(),
      /** The range as requested ([start, end)). */
      trainStart: z.string().nullable(),
      trainEnd: z.string().nullable(),
    }),
    training: z.object({
      seed: z.number(),
      engine: z.enum(["fused", "simd", "tfjs"]),
      backend: z.object({ kind: z.string(), name: z.string(), package: z.string(), gpu: z.boolean() }).nullable(),
      /** The budget the run was started with (env steps). */
      totalSteps: z.number().int(),
      updates: z.number().int(),
      numUpdates: z.number().int(),
      envSteps: z.number().int(),
      episodes: z.number().int(),
      rng: z.object({ action: rngStateSchema, minibatch: rngStateSchema }),
      optimizerStep: z.number().int(),
      /** Where this run resumed from, if it did. */
      resumedFrom: z.string().nullable(),
      /**
       * "complete": the whole budget; "partial": an intermediate save (--checkpoint-every) of a run still going;
       * "interrupted": stopped by a signal after `updates` of `numUpdates` (resume with --resume);
       * "time_limit": stopped by maxSeconds. Checkpoints written before this field are complete.
       */
      status: z.enum(["complete", "partial", "interrupted", "time_limit"]).default("complete"),
      /** The signal that interrupted the run ("SIGINT", "SIGTERM"), else null. */
      stopSignal: z.string().nullable().default(null),
    }),
    versions: z.object({ node: z.string(), tfjs: z.string(), project: z.string() }),
    /** What was trained with that a config cannot say: a reward scheme and features of the user's own. */
    custom: z
      .object({
        /** The RewardScheme passed to train() (name and memory size), or null: the env config's reward. */
        reward: z.object({ name: z.string(), stateSize: z.number().int().min(0) }).nullable(),
        /** Custom features appended to the observation, by name and columns; a loader must be given them. */
        features: z.array(z.object({ name: z.string(), columns: z.array(z.string()) })),
      })
      .prefault({ reward: null, features: [] }),
    /** The last update's metrics. */
    metrics: z.record(z.string(), z.union([z.number(), z.null()])).nullable(),
    weights: z.object({ file: z.literal("weights.bin"), dtype: z.literal("float64"), sha256: z.string() }),
    optimizer: z.object({ file: z.literal("optimizer.bin"), dtype: z.literal("float64"), sha256: z.string() }),
  })
  .strict();

export type CheckpointManifest = z.output<typeof manifestSchema>;
export type CheckpointStatus = CheckpointManifest["training"]["status"];

/** The files a checkpoint folder holds (anything else there means the folder is not only a checkpoint). */
export const CHECKPOINT_FILES = ["manifest.json", "weights.bin", "optimizer.bin", "metrics.jsonl", "timing.jsonl"] as const;

/** What a folder holds if it is one of this project's checkpoints ("a checkpoint of 40/40 updates, …"), else null. */
export function describeCheckpoint(dir: string): string | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { format?: unknown; createdAt?: unknown; training?: { updates?: unknown; numUpdates?: unknown; status?: unknown } };
    if (m.format !== CHECKPOINT_FORMAT) return null;
    const t = m.training ?? {};
    const status = typeof t.status === "string" ? t.status : "complete";
    return `a checkpoint (${String(t.updates)}/${String(t.numUpdates)} updates, ${status}, written ${String(m.createdAt)})`;
  } catch {
    return null;
  }
}

/** A checkpoint folder as an output (src/util/safe-output.ts): only this project's checkpoints are ever replaced. */
export const CHECKPOINT_OUTPUT: OutputKind = { name: "checkpoint", type: "folder", entries: CHECKPOINT_FILES, describe: describeCheckpoint };

export interface Checkpoint {
  readonly dir: string;
  readonly manifest: CheckpointManifest;
  readonly spec: NetworkSpec;
  readonly parameters: Float64Array;
  readonly optimizer: OptimizerState;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function float64Bytes(x: Float64Array): Uint8Array {
  // Typed arrays are little-endian on every platform Node runs on; the checkpoint format says so explicitly.
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function readFloat64(path: string, field: string): Float64Array {
  const bytes = readFileSync(path);
  if (bytes.byteLength % 8 !== 0) throw new AgentError("checkpoint_corrupt", `${bytes.byteLength} bytes is not a whole number of float64`, field);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export interface SaveCheckpointInput {
  readonly manifest: Omit<CheckpointManifest, "format" | "formatVersion" | "createdAt" | "weights" | "optimizer">;
  readonly parameters: Float64Array;
  readonly optimizer: OptimizerState;
  /** Extra files to place in the folder (name → content), e.g. metrics.jsonl. */
  readonly files?: Readonly<Record<string, string>>;
}

/** Writes the checkpoint folder `dir` atomically (temp folder + rename). Returns the manifest written. */
export function saveCheckpoint(dir: string, input: SaveCheckpointInput): CheckpointManifest {
  // Whatever the caller checked before: never replace anything but a checkpoint (replacing one is the
  // caller's decision, made when it claimed the output).
  checkOutput(dir, { kind: CHECKPOINT_OUTPUT, force: true });
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const moments = new Float64Array(input.optimizer.m.length * 2);
  moments.set(input.optimizer.m, 0);
  moments.set(input.optimizer.v, input.optimizer.m.length);
  const weightBytes = float64Bytes(input.parameters);
  const optimizerBytes = float64Bytes(moments);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    ...input.manifest,
    weights: { file: "weights.bin", dtype: "float64", sha256: sha256(weightBytes) },
    optimizer: { file: "optimizer.bin", dtype: "float64", sha256: sha256(optimizerBytes) },
  };
  try {
    mkdirSync(tmp);
    writeFileSync(join(tmp, "weights.bin"), weightBytes);
    writeFileSync(join(tmp, "optimizer.bin"), optimizerBytes);
    for (const [name, content] of Object.entries(input.files ?? {})) writeFileSync(join(tmp, name), content);
    writeFileSync(join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(target)) {
      const old = join(parent, `.${basename(target)}.old-${tag}`);
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/** Reads and verifies a checkpoint folder (manifest shape, layout, file sizes and hashes). */
export function loadCheckpoint(dir: string): Checkpoint {
  const root = resolve(dir);
  const manifestPath = join(root, "manifest.json");
  if (!existsSync(manifestPath)) throw new AgentError("checkpoint_missing", `no checkpoint at ${root} (manifest.json not found)`, manifestPath);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (err) {
    throw new AgentError("checkpoint_corrupt", `manifest.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, manifestPath);
  }
  const parsed = manifestSchema.safeParse(upgradeManifest(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentError("checkpoint_corrupt", `manifest.json does not match the checkpoint format: ${issue.message}`, `manifest.json:${issue.path.join(".")}`);
  }
  const manifest = parsed.data;
  const spec = networkSpec(manifest.network.observationSize, manifest.network.head, manifest.agent.network);
  if (layoutSignature(spec) !== manifest.network.layout || spec.parameterCount !== manifest.network.parameterCount) {
    throw new AgentError("checkpoint_corrupt", "the manifest's layout does not match its network config", "manifest.json:network.layout");
  }
  for (const [file, hash] of [
    ["weights.bin", manifest.weights.sha256],
    ["optimizer.bin", manifest.optimizer.sha256],
  ] as const) {
    const path = join(root, file);
    if (!existsSync(path)) throw new AgentError("checkpoint_missing", `${file} is missing`, path);
    if (sha256(readFileSync(path)) !== hash) throw new AgentError("checkpoint_corrupt", `${file} does not match the sha256 in manifest.json`, path);
  }
  const parameters = readFloat64(join(root, "weights.bin"), "weights.bin");
  if (parameters.length !== spec.parameterCount) {
    throw new AgentError("checkpoint_corrupt", `weights.bin holds ${parameters.length} values, the network has ${spec.parameterCount}`, "weights.bin");
  }
  const moments = readFloat64(join(root, "optimizer.bin"), "optimizer.bin");
  if (moments.length !== 2 * spec.parameterCount) {
    throw new AgentError("checkpoint_corrupt", `optimizer.bin holds ${moments.length} values, expected ${2 * spec.parameterCount}`, "optimizer.bin");
  }
  const optimizer: OptimizerState = {
    step: manifest.training.optimizerStep,
    m: moments.slice(0, spec.parameterCount),
    v: moments.slice(spec.parameterCount),
  };
  return { dir: root, manifest, spec, parameters, optimizer };
}

/** What a consumer expects of a checkpoint; each given field must match. */
export interface CheckpointExpectation {
  readonly observationLabels?: readonly string[];
  readonly actionLabels?: readonly string[];
  readonly agent?: AgentConfig;
}

/**
 * Refuses a checkpoint made for something else, naming what differs: observation size or element names
 * (features), action space, or network shape.
 */
export function assertCompatible(manifest: CheckpointManifest, expected: CheckpointExpectation): void {
  const fail = (field: string, want: unknown, got: unknown): never => {
    throw new AgentError(
      "checkpoint_incompatible",
      `the checkpoint has ${JSON.stringify(got)}, this run needs ${JSON.stringify(want)}`,
      `manifest.json:${field}`,
    );
  };
  if (expected.observationLabels) {
    const got = manifest.observation.labels;
    if (got.length !== expected.observationLabels.length) fail("network.observationSize", expected.observationLabels.length, got.length);
    expected.observationLabels.forEach((label, i) => {
      if (got[i] !== label) fail(`observation.labels[${i}]`, label, got[i]);
    });
  }
  if (expected.actionLabels) {
    const got = manifest.actions.labels;
    if (got.length !== expected.actionLabels.length || got.some((l, i) => l !== expected.actionLabels![i])) {
      fail("actions.labels", expected.actionLabels, got);
    }
  }
  if (expected.agent) {
    const a = expected.agent.network;
    const b = manifest.agent.network;
    for (const key of ["trunk", "denseUnits", "lstmUnits", "sharedTrunk", "lstmBias"] as const) {
      if (a[key] !== b[key]) fail(`agent.network.${key}`, a[key], b[key]);
    }
    if (a.trunk === "mlp" && a.mlpUnits.join(",") !== b.mlpUnits.join(",")) fail("agent.network.mlpUnits", a.mlpUnits, b.mlpUnits);
    if (expected.agent.ppo.observationNorm !== manifest.agent.ppo.observationNorm) {
      fail("agent.ppo.observationNorm", expected.agent.ppo.observationNorm, manifest.agent.ppo.observationNorm);
    }
  }
}

