import { selectBackend, type BackendPreference } from "./backend.js";
import { assertCompatible, loadCheckpoint, type CheckpointExpectation, type CheckpointManifest } from "./checkpoint.js";
import { chooseEngineKind, createEngine, type EnginePreference } from "./create-engine.js";
import { createPolicy, type Policy } from "./policy.js";

export interface LoadPolicyOptions {
  /** "auto" (default): the fused engine for small networks (tfjs is then never loaded), tfjs otherwise. */
  readonly engine?: EnginePreference;
  /** tfjs backend when the tfjs engine runs (default "auto"). */
  readonly backend?: BackendPreference;
  /** Refuse the checkpoint unless it matches (observation labels, action labels, network). */
  readonly expect?: CheckpointExpectation;
}

/**
 * Rebuilds a checkpoint's policy: same weights, same observation normalisation, so the same observations give
 * the same actions as at the end of training. The policy starts with a zero LSTM state.
 */
export async function loadPolicy(dir: string, options: LoadPolicyOptions = {}): Promise<Policy<CheckpointManifest>> {
  const cp = loadCheckpoint(dir);
  if (options.expect) assertCompatible(cp.manifest, options.expect);
  const preference = options.engine ?? "auto";
  let kind = chooseEngineKind(preference, cp.spec, null);
  if (kind === "tfjs") {
    const backend = await selectBackend(options.backend ?? "auto");
    kind = chooseEngineKind(preference, cp.spec, backend);
  }
  const ppo = cp.manifest.agent.ppo;
  const engine = await createEngine(kind, cp.spec, cp.parameters, { beta1: ppo.adamBeta1, beta2: ppo.adamBeta2, epsilon: ppo.adamEpsilon });
  const norm = cp.manifest.observation.normalization;
  return createPolicy(engine, norm ? { stats: norm, clip: norm.clip } : null, cp.manifest);
}
