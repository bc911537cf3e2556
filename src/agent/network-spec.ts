import type { NetworkConfig } from "./config.js";

/**
 * The one weight layout shared by both engines and the checkpoint: every parameter of the network lives in one
 * flat vector, as a list of named row-major blocks. Kernels are [inputs, outputs] (y = x·W + b, the Keras
 * convention); the LSTM's gates are ordered i, f, g, o (input, forget, cell candidate, output) along its 4H
 * outputs, as in PyTorch and Keras; the LSTM has one bias (PyTorch's b_ih + b_hh).
 *
 *   <trunk>.dense.kernel [obs, D]   <trunk>.dense.bias [D]
 *   <trunk>.lstm.kernel [D, 4H]     <trunk>.lstm.recurrent_kernel [H, 4H]   <trunk>.lstm.bias [4H]
 *   pi.kernel [H, A]  pi.bias [A]   v.kernel [H, 1]  v.bias [1]
 *
 * <trunk> is "trunk" for a shared trunk, or "pi_trunk" and "v_trunk" (in that order) for separate ones.
 */

export interface ParameterBlock {
  readonly name: string;
  readonly shape: readonly number[];
  /** First element of the block in the flat vector. */
  readonly offset: number;
  readonly size: number;
}

export interface TrunkLayout {
  readonly name: string;
  readonly denseKernel: number;
  readonly denseBias: number;
  readonly lstmKernel: number;
  readonly lstmRecurrentKernel: number;
  readonly lstmBias: number;
}

export interface NetworkSpec {
  readonly observationSize: number;
  readonly actionCount: number;
  readonly denseUnits: number;
  readonly lstmUnits: number;
  readonly sharedTrunk: boolean;
  /** 1 (shared) or 2 (policy trunk, value trunk). */
  readonly trunkCount: number;
  /** Recurrent state per row: for each trunk, h (H values) then c (H values). */
  readonly stateSize: number;
  readonly parameterCount: number;
  readonly blocks: readonly ParameterBlock[];
  /** Offsets of each trunk's blocks; trunks[0] feeds the policy head, trunks[trunkCount − 1] the value head. */
  readonly trunks: readonly TrunkLayout[];
  readonly piKernel: number;
  readonly piBias: number;
  readonly vKernel: number;
  readonly vBias: number;
}

export function networkSpec(observationSize: number, actionCount: number, net: NetworkConfig): NetworkSpec {
  const D = net.denseUnits;
  const H = net.lstmUnits;
  const blocks: ParameterBlock[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    blocks.push({ name, shape, offset, size });
    offset += size;
    return offset - size;
  };
  const trunkNames = net.sharedTrunk ? ["trunk"] : ["pi_trunk", "v_trunk"];
  const trunks = trunkNames.map((name) => ({
    name,
    denseKernel: add(`${name}.dense.kernel`, [observationSize, D]),
    denseBias: add(`${name}.dense.bias`, [D]),
    lstmKernel: add(`${name}.lstm.kernel`, [D, 4 * H]),
    lstmRecurrentKernel: add(`${name}.lstm.recurrent_kernel`, [H, 4 * H]),
    lstmBias: add(`${name}.lstm.bias`, [4 * H]),
  }));
  const piKernel = add("pi.kernel", [H, actionCount]);
  const piBias = add("pi.bias", [actionCount]);
  const vKernel = add("v.kernel", [H, 1]);
  const vBias = add("v.bias", [1]);
  return {
    observationSize,
    actionCount,
    denseUnits: D,
    lstmUnits: H,
    sharedTrunk: net.sharedTrunk,
    trunkCount: trunks.length,
    stateSize: trunks.length * 2 * H,
    parameterCount: offset,
    blocks,
    trunks,
    piKernel,
    piBias,
    vKernel,
    vBias,
  };
}

/** A short, comparable description of the layout: names and shapes in order (checked when loading a checkpoint). */
export function layoutSignature(spec: NetworkSpec): string {
  return spec.blocks.map((b) => `${b.name}[${b.shape.join("x")}]`).join(",");
}
