import type { NetworkConfig } from "./config.js";
import { headChoices, headGaussianDims, headHasGaussian, headOutputs, headParamWidth, type PolicyHead } from "./policy-head.js";

/**
 * The one weight layout shared by both engines and the checkpoint: every parameter of the network lives in one
 * flat vector, as a list of named row-major blocks. Kernels are [inputs, outputs] (y = x·W + b, the Keras
 * convention); the LSTM's gates are ordered i, f, g, o (input, forget, cell candidate, output) along its 4H
 * outputs, as in PyTorch and Keras. The LSTM has PyTorch's two bias vectors b_ih and b_hh (lstmBias "pair",
 * the article: Adam moves each, so their sum moves twice as far per step as one bias would) or one ("single").
 *
 *   <trunk>.dense.kernel [obs, D]   <trunk>.dense.bias [D]
 *   <trunk>.lstm.kernel [D, 4H]     <trunk>.lstm.recurrent_kernel [H, 4H]
 *   <trunk>.lstm.bias_ih [4H]  <trunk>.lstm.bias_hh [4H]     (pair)   or   <trunk>.lstm.bias [4H]   (single)
 *   pi.kernel [H, P]  pi.bias [P]  (pi.log_std [1])   v.kernel [H, 1]  v.bias [1]
 *
 * P is the policy layer's outputs (policy-head.ts): the categorical logits, then the Gaussian mean when the head
 * has one, whose log std is the state-independent pi.log_std.
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
  /** b_ih (pair) or the one bias (single). */
  readonly lstmBias: number;
  /** b_hh (pair), or −1 (single). */
  readonly lstmBias2: number;
  /** MLP trunk: its layers (kernel [inputs, units] and bias offsets); empty for an LSTM trunk (whose offsets above are −1 for an MLP). */
  readonly mlp: readonly { readonly kernel: number; readonly bias: number; readonly inputs: number; readonly units: number }[];
}

export interface NetworkSpec {
  readonly observationSize: number;
  /** The policy's distribution (policy-head.ts). */
  readonly head: PolicyHead;
  /** Categorical choices of the head (actions or sides; 0 for a Gaussian head). */
  readonly actionCount: number;
  /** Outputs of the policy layer (pi.kernel columns). */
  readonly policyOutputs: number;
  /** Head parameters per row that the engines write (log-probabilities, then μ and log std). */
  readonly policyParams: number;
  /** "lstm" or "mlp" (no recurrent state: stateSize 0). */
  readonly trunk: "lstm" | "mlp";
  readonly denseUnits: number;
  /** Width of the trunk's output that the heads read: the LSTM's units, or the MLP's last layer. */
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
  /** Offset of pi.log_std, or −1 without a Gaussian part. */
  readonly piLogStd: number;
  readonly vKernel: number;
  readonly vBias: number;
}

/** `head` as a number: a categorical head over that many actions. */
export function networkSpec(
  observationSize: number,
  head: PolicyHead | number,
  net: Pick<NetworkConfig, "denseUnits" | "lstmUnits" | "sharedTrunk"> & Partial<Pick<NetworkConfig, "lstmBias" | "trunk" | "mlpUnits">>,
): NetworkSpec {
  const h: PolicyHead = typeof head === "number" ? { kind: "categorical", actions: head } : head;
  const P = headOutputs(h);
  const pair = (net.lstmBias ?? "single") === "pair";
  const mlp = net.trunk === "mlp";
  const mlpUnits = net.mlpUnits ?? [256, 128];
  const D = mlp ? 0 : net.denseUnits;
  const H = mlp ? mlpUnits[mlpUnits.length - 1]! : net.lstmUnits;
  const blocks: ParameterBlock[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    blocks.push({ name, shape, offset, size });
    offset += size;
    return offset - size;
  };
  const trunkNames = net.sharedTrunk ? ["trunk"] : ["pi_trunk", "v_trunk"];
  const trunks = trunkNames.map((name): TrunkLayout => {
    if (mlp) {
      let inputs = observationSize;
      const layers = mlpUnits.map((units, i) => {
        const layer = { kernel: add(`${name}.mlp${i}.kernel`, [inputs, units]), bias: add(`${name}.mlp${i}.bias`, [units]), inputs, units };
        inputs = units;
        return layer;
      });
      return { name, denseKernel: -1, denseBias: -1, lstmKernel: -1, lstmRecurrentKernel: -1, lstmBias: -1, lstmBias2: -1, mlp: layers };
    }
    return {
    name,
    denseKernel: add(`${name}.dense.kernel`, [observationSize, D]),
    denseBias: add(`${name}.dense.bias`, [D]),
    lstmKernel: add(`${name}.lstm.kernel`, [D, 4 * H]),
    lstmRecurrentKernel: add(`${name}.lstm.recurrent_kernel`, [H, 4 * H]),
    lstmBias: add(pair ? `${name}.lstm.bias_ih` : `${name}.lstm.bias`, [4 * H]),
    lstmBias2: pair ? add(`${name}.lstm.bias_hh`, [4 * H]) : -1,
    mlp: [],
    };
  });
  const piKernel = add("pi.kernel", [H, P]);
  const piBias = add("pi.bias", [P]);
  const piLogStd = headHasGaussian(h) ? add("pi.log_std", [headGaussianDims(h)]) : -1;
  const vKernel = add("v.kernel", [H, 1]);
  const vBias = add("v.bias", [1]);
  return {
    observationSize,
    head: h,
    actionCount: headChoices(h),
    policyOutputs: P,
    policyParams: headParamWidth(h),
    trunk: mlp ? "mlp" : "lstm",
    denseUnits: D,
    lstmUnits: H,
    sharedTrunk: net.sharedTrunk,
    trunkCount: trunks.length,
    stateSize: mlp ? 0 : trunks.length * 2 * H,
    parameterCount: offset,
    blocks,
    trunks,
    piKernel,
    piBias,
    piLogStd,
    vKernel,
    vBias,
  };
}

/** A short, comparable description of the layout: names and shapes in order (checked when loading a checkpoint). */
export function layoutSignature(spec: NetworkSpec): string {
  return spec.blocks.map((b) => `${b.name}[${b.shape.join("x")}]`).join(",");
}
