/**
 * Small real checkpoints for the trader's tests: a few PPO updates of the default agent on the embedded market
 * (seconds), enough for a policy whose greedy actions vary with the market, not for a good one.
 */
import { createHash } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { train } from "../../agent/index.js";
import type { EnvPresetName } from "../../env/index.js";

/**
 * Trains and saves a checkpoint under `dir`; returns its folder. The `seed` env is trained with the `seed` agent
 * (the article's agent and env: percentage-change features); other env presets with the `default` agent.
 */
export async function trainTestCheckpoint(dir: string, envPreset: EnvPresetName = "seed", seed = 3, steps = 2048): Promise<string> {
  const out = join(dir, `ck-${envPreset}-${seed}`);
  const preset = envPreset === "seed" ? "seed" : "default";
  await train({ preset, envPreset, data: null, trainEnd: "2021-03-01", steps, seed, out, progress: "none" }, { write: () => {} });
  return out;
}

/**
 * A copy of a checkpoint whose greedy action is always `action` (the policy head's bias of that action raised by
 * 50), declared for `timeframe` bars: a fixture for tests that need an order on the first tick of a real process.
 * The weights hash in the manifest is updated, so the checkpoint loads as any other.
 */
export function forcedActionCheckpoint(src: string, dst: string, action: number, timeframe: string): string {
  cpSync(src, dst, { recursive: true });
  const manifestPath = join(dst, "manifest.json");
  const m = JSON.parse(readFileSync(manifestPath, "utf8")) as { network: { layout: string }; weights: { sha256: string }; data: { timeframe: string } };
  let offset = 0;
  let bias = -1;
  for (const block of m.network.layout.split(",")) {
    const match = /^(.+)\[([\dx]+)\]$/.exec(block)!;
    const size = match[2]!.split("x").reduce((a, b) => a * Number(b), 1);
    if (match[1] === "pi.bias") bias = offset;
    offset += size;
  }
  if (bias < 0) throw new Error(`no pi.bias block in ${m.network.layout}`);
  const bytes = readFileSync(join(dst, "weights.bin"));
  const w = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  w[bias + action]! += 50;
  const out = new Uint8Array(w.buffer);
  writeFileSync(join(dst, "weights.bin"), out);
  m.weights.sha256 = createHash("sha256").update(out).digest("hex");
  m.data.timeframe = timeframe;
  writeFileSync(manifestPath, JSON.stringify(m, null, 2) + "\n");
  return dst;
}
