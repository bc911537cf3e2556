import type { BackendInfo } from "./backend.js";
import type { AdamSettings, Engine, EngineKind } from "./engine.js";
import { FusedEngine } from "./fused-engine.js";
import type { NetworkSpec } from "./network-spec.js";

export const ENGINE_PREFERENCES = ["auto", "fused", "tfjs"] as const;
export type EnginePreference = (typeof ENGINE_PREFERENCES)[number];

/**
 * Above this many parameters "auto" picks tfjs even on a CPU: the fused engine's scalar loops cost about one
 * nanosecond per multiply-add, while tfjs's per-op overhead (~10 µs on WASM) stops dominating once each op
 * carries tens of thousands of multiply-adds (measured in docs/ppo.md, "Engines").
 */
export const FUSED_MAX_PARAMETERS = 20_000;

/** "auto": the fused engine for small networks unless a GPU backend is present; tfjs otherwise. */
export function chooseEngineKind(preference: EnginePreference, spec: NetworkSpec, backend: BackendInfo | null): EngineKind {
  if (preference !== "auto") return preference;
  if (backend?.gpu) return "tfjs";
  return spec.parameterCount <= FUSED_MAX_PARAMETERS ? "fused" : "tfjs";
}

/**
 * Builds an engine with the given parameters. The tfjs engine needs a selected backend (selectBackend) and is
 * imported only here, so that the fused path never loads tfjs.
 */
export async function createEngine(kind: EngineKind, spec: NetworkSpec, parameters: ArrayLike<number>, adam: AdamSettings): Promise<Engine> {
  if (kind === "fused") return new FusedEngine(spec, parameters, adam);
  const { TfjsEngine } = await import("./tfjs-engine.js");
  return new TfjsEngine(spec, parameters, adam);
}
