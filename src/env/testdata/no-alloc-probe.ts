/**
 * Run in a fresh process by vec-trading-env.test.ts: steps a warmed-up vec env of one preset and prints how
 * many garbage collections ran meanwhile. An env that allocates nothing per step triggers none; one heap
 * number per env step (16 bytes) would trigger a scavenge every ~1M env steps, so 2M steps catch it.
 * usage: node --expose-gc --import tsx no-alloc-probe.ts PRESET
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import { Rng } from "../../util/rng.js";
import { createVecEnv, isEnvPresetName, sampleActions } from "../index.js";
import { syntheticCandles } from "../synthetic-market.js";

const preset = process.argv[2] ?? "seed";
if (!isEnvPresetName(preset)) throw new Error(`unknown preset ${preset}`);
const numEnvs = 16;
const vec = createVecEnv({ candles: syntheticCandles(3_000, 1), config: preset, numEnvs });
const rng = new Rng(1);
const blocks = Array.from({ length: 64 }, () => sampleActions(vec.actionSpace, rng, numEnvs));
vec.reset(1);
for (let k = 0; k < 30_000; k++) vec.step(blocks[k & 63]!);

// Settle the heap first (needs --expose-gc), then count only scavenges: a major GC can be scheduled by
// the memory reducer from the setup's allocations, while per-step garbage shows up as scavenges.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await new Promise((r) => setTimeout(r, 20));
let gcs = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs++;
});
observer.observe({ entryTypes: ["gc"] });
const steps = 125_000;
for (let k = 0; k < steps; k++) vec.step(blocks[k & 63]!);
await new Promise((r) => setTimeout(r, 20));
observer.disconnect();
console.log(JSON.stringify({ preset, envSteps: steps * numEnvs, gcs }));
