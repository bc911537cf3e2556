import { runLearnability } from "../src/jobs/learnability.js";
import type { TrainConfigInput } from "../src/agent/index.js";
const which = process.argv[2]!;
const markets = process.argv[3]!.split(",");
const base = { rolloutSteps: 128, numMinibatches: 2, updateEpochs: 2, gamma: 0.98 };
const V: Record<string, TrainConfigInput> = {
  r10s16: { preset: "default", agent: { network: { denseUnits: 10, lstmUnits: 10 }, ppo: { rolloutSteps: 64, sequenceLength: 16, numMinibatches: 2, updateEpochs: 2, gamma: 0.98 } } },
  r12s64: { preset: "default", agent: { network: { denseUnits: 12, lstmUnits: 12 }, ppo: { ...base, sequenceLength: 64 } } },
  r16s64: { preset: "default", agent: { network: { denseUnits: 16, lstmUnits: 16 }, ppo: { ...base, sequenceLength: 64 } } },
  r10s64r64: { preset: "default", agent: { network: { denseUnits: 10, lstmUnits: 10 }, ppo: { rolloutSteps: 64, sequenceLength: 64, numMinibatches: 2, updateEpochs: 2, gamma: 0.98 } } },
  r16s64r64: { preset: "default", agent: { network: { denseUnits: 16, lstmUnits: 16 }, ppo: { rolloutSteps: 64, sequenceLength: 64, numMinibatches: 2, updateEpochs: 2, gamma: 0.98 } } },
  r16s48r96: { preset: "default", agent: { network: { denseUnits: 16, lstmUnits: 16 }, ppo: { rolloutSteps: 96, sequenceLength: 48, numMinibatches: 2, updateEpochs: 2, gamma: 0.98 } } },
  r12s64e4: { preset: "default", agent: { network: { denseUnits: 12, lstmUnits: 12 }, ppo: { ...base, sequenceLength: 64, updateEpochs: 4, numMinibatches: 4 } } },
};
const r = await runLearnability({
  markets: markets.map((m) => (m.startsWith("cue") ? { label: m, options: { kind: "delayed_cue" as const, delay: Number(m.slice(3)) } } : { label: m, options: { kind: m as "trend" } })),
  presets: which.split(",").map((w) => ({ label: w, train: V[w]! })),
  seeds: (process.argv[4] ?? "1,2").split(",").map(Number),
  steps: Number(process.argv[5] ?? 150000),
  log: (l) => console.log(l),
});
console.log(r.table);
