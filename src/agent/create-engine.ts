import type { BackendInfo } from "./backend.js";
import type { AdamSettings, Engine, EngineKind } from "./engine.js";
import { FusedEngine } from "./fused-engine.js";
import type { NetworkSpec } from "./network-spec.js";

export const ENGINE_PREFERENCES = ["auto", "fused", "simd", "tfjs"] as const;
export type EnginePreference = (typeof ENGINE_PREFERENCES)[number];

/**
 * Above this many parameters "auto" picks tfjs even on a CPU. Measured here with 32 envs (docs/ppo.md,
 * "Engines"): 8.7k parameters, fused 9.1k vs tfjs-wasm 6.2k env steps/s; 34k parameters, fused 1.9k vs tfjs 4.2k.
 * With one env (batch 1) the fused engine stays ahead for larger networks still.
 */
export const FUSED_MAX_PARAMETERS = 20_000;

/**
 * "auto": tfjs when a GPU backend is present; otherwise the simd engine for MLP trunks (on a CPU it outruns
 * tfjs-wasm several times: docs/ppo.md, "Big networks and the GPU"), the fused engine for small LSTM networks
 * and tfjs for big ones.
 */
export function chooseEngineKind(preference: EnginePreference, spec: NetworkSpec, backend: BackendInfo | null): EngineKind {
  if (preference !== "auto") return preference;
  // The tfjs engine has no diagonal Gaussian head (the portfolio's continuous weights): the simd engine carries it
  // for MLP trunks, the fused engine for LSTM trunks of any size, GPU or not.
  if (spec.head.kind === "diagonal_gaussian") return spec.trunk === "mlp" ? "simd" : "fused";
  if (backend?.gpu) return "tfjs";
  if (spec.trunk === "mlp") return "simd";
  return spec.parameterCount <= FUSED_MAX_PARAMETERS ? "fused" : "tfjs";
}

/**
 * Builds an engine with the given parameters. The tfjs engine needs a selected backend (selectBackend) and is
 * imported only here, so that the fused path never loads tfjs.
 */
export async function createEngine(kind: EngineKind, spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings): Promise<Engine> {
  if (kind === "fused") return new FusedEngine(spec, parameters, adam);
  if (kind === "simd") {
    const { SimdEngine } = await import("./simd-engine.js");
    return SimdEngine.create(spec, parameters, adam);
  }
  const { TfjsEngine } = await import("./tfjs-engine.js");
  return new TfjsEngine(spec, parameters, adam);
}
