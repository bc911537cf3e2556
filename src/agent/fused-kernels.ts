import { fastExp } from "./fast-exp.js";
import type { NetworkSpec, TrunkLayout } from "./network-spec.js";

/**
 * The fused engine's per-step work for one trunk (dense → LSTM), in two interchangeable implementations that
 * give bit-identical results (same operations in the same order; tested):
 *
 *   - "generated": straight-line JavaScript written for this network's sizes and parameter offsets when the
 *     engine is built (new Function), so every weight is read at a constant index and no loop runs. For the
 *     article's 10-unit network a 40×10 matrix-vector product then costs ~0.2 µs instead of ~0.7 µs in a loop.
 *     The source is built only from integers (sizes, offsets), never from user strings.
 *   - "loops": the same arithmetic as loops over transposed copies of the kernels; used for networks too big
 *     for straight-line code (the JIT stops optimising very large functions) and as the reference.
 *
 * Layout conventions are those of network-spec.ts. All arrays are Float64Array except the observations.
 */
export interface TrunkKernels {
  readonly kind: "generated" | "loops";
  /** Called after every parameter change (the loop kernels keep transposed copies). */
  refresh(p: Float64Array): void;
  /** a = relu(x·Wd + bd) (D values at ao); proj = a·Wx + b (4H values at po). */
  project(p: Float64Array, x: Float32Array, xo: number, a: Float64Array, ao: number, proj: Float64Array, po: number): void;
  /**
   * z = proj + h·Wh; i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g); c' = f·c + i·g; h' = o·tanh(c').
   * Writes the activated gates (4H), c', tanh(c') and h'. Outputs never alias the inputs.
   */
  recur(
    p: Float64Array,
    proj: Float64Array,
    po: number,
    hp: Float64Array,
    hpo: number,
    cp: Float64Array,
    cpo: number,
    gates: Float64Array,
    go: number,
    c: Float64Array,
    co: number,
    tc: Float64Array,
    tco: number,
    h: Float64Array,
    ho: number,
  ): void;
  /**
   * One step of backprop-through-time. In: dhN = ∂L/∂h from the step after, dhHead = ∂L/∂h from the heads at
   * this step, dcN = ∂L/∂c from the step after, and this step's stored activations. Adds this step's parameter
   * gradients to g; leaves ∂L/∂h_prev in dhN and ∂L/∂c_prev in dcN.
   */
  backward(
    p: Float64Array,
    g: Float64Array,
    x: Float32Array,
    xo: number,
    a: Float64Array,
    ao: number,
    gates: Float64Array,
    go: number,
    cp: Float64Array,
    cpo: number,
    tc: Float64Array,
    tco: number,
    hp: Float64Array,
    hpo: number,
    dhHead: Float64Array,
    dhN: Float64Array,
    dcN: Float64Array,
  ): void;
}

export type KernelMode = "auto" | "generated" | "loops";

/**
 * "auto" generates code only while its largest function stays small enough for V8 to optimise: the backward
 * blocks hold max(D, H)·4H gradient statements, and past ~800 (measured: 14 units fine, 16 units left in the
 * interpreter, 30× slower) they would not be. 640 covers networks up to 12 units with a margin; bigger ones use
 * the loops.
 */
export const GENERATED_MAX_STATEMENTS = 640;

export function createTrunkKernels(spec: NetworkSpec, trunk: TrunkLayout, mode: KernelMode): TrunkKernels {
  const G = 4 * spec.lstmUnits;
  const largest = Math.max(spec.observationSize * spec.denseUnits, Math.max(spec.denseUnits, spec.lstmUnits) * G);
  if (mode === "loops" || (mode === "auto" && largest > GENERATED_MAX_STATEMENTS)) return loopKernels(spec, trunk);
  return generatedKernels(spec, trunk);
}

/**
 * The LSTM's nonlinear half, shared by both kernel kinds (so that they agree bit for bit): from the
 * pre-activations z (4H values at go, overwritten by the activated gates) and the previous cell state, the new
 * cell state c' = f·c + i·g, tanh(c') and h' = o·tanh(c'). tanh(x) = 1 − 2/(e^{2x} + 1): one exp.
 */
function activateGates(
  H: number,
  gates: Float64Array,
  go: number,
  cp: Float64Array,
  cpo: number,
  c: Float64Array,
  co: number,
  tc: Float64Array,
  tco: number,
  h: Float64Array,
  ho: number,
): void {
  for (let j = 0; j < H; j++) {
    const i = 1 / (1 + fastExp(-gates[go + j]!));
    const f = 1 / (1 + fastExp(-gates[go + H + j]!));
    const gg = 1 - 2 / (fastExp(2 * gates[go + 2 * H + j]!) + 1);
    const o = 1 / (1 + fastExp(-gates[go + 3 * H + j]!));
    gates[go + j] = i;
    gates[go + H + j] = f;
    gates[go + 2 * H + j] = gg;
    gates[go + 3 * H + j] = o;
    const cj = f * cp[cpo + j]! + i * gg;
    const tcj = 1 - 2 / (fastExp(2 * cj) + 1);
    c[co + j] = cj;
    tc[tco + j] = tcj;
    h[ho + j] = o * tcj;
  }
}

// -------------------------------------------------------------------------------------------------------------
// Loops.

function loopKernels(spec: NetworkSpec, tr: TrunkLayout): TrunkKernels {
  const O = spec.observationSize;
  const D = spec.denseUnits;
  const H = spec.lstmUnits;
  const G = 4 * H;
  const wdT = new Float64Array(D * O);
  const wxT = new Float64Array(G * D);
  const whT = new Float64Array(G * H);
  const dz = new Float64Array(G);
  const da = new Float64Array(D);
  // b_ih + b_hh (pair) or the one bias, summed once per parameter change as the generated code does per step.
  const bias = new Float64Array(G);
  const b2 = tr.lstmBias2;
  const transpose = (p: Float64Array, src: number, rows: number, cols: number, dst: Float64Array): void => {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = p[src + r * cols + c]!;
  };
  return {
    kind: "loops",
    refresh(p) {
      transpose(p, tr.denseKernel, O, D, wdT);
      transpose(p, tr.lstmKernel, D, G, wxT);
      transpose(p, tr.lstmRecurrentKernel, H, G, whT);
      for (let j = 0; j < G; j++) bias[j] = b2 >= 0 ? p[tr.lstmBias + j]! + p[b2 + j]! : p[tr.lstmBias + j]!;
    },
    project(p, x, xo, a, ao, proj, po) {
      for (let j = 0; j < D; j++) {
        let s = p[tr.denseBias + j]!;
        const r = j * O;
        for (let k = 0; k < O; k++) s += x[xo + k]! * wdT[r + k]!;
        a[ao + j] = s > 0 ? s : 0;
      }
      for (let j = 0; j < G; j++) {
        let s = bias[j]!;
        const r = j * D;
        for (let k = 0; k < D; k++) s += a[ao + k]! * wxT[r + k]!;
        proj[po + j] = s;
      }
    },
    recur(_p, proj, po, hp, hpo, cp, cpo, gates, go, c, co, tc, tco, h, ho) {
      for (let j = 0; j < G; j++) {
        let s = proj[po + j]!;
        const r = j * H;
        for (let k = 0; k < H; k++) s += hp[hpo + k]! * whT[r + k]!;
        gates[go + j] = s;
      }
      activateGates(H, gates, go, cp, cpo, c, co, tc, tco, h, ho);
    },
    backward(p, g, x, xo, a, ao, gates, go, cp, cpo, tc, tco, hp, hpo, dhHead, dhN, dcN) {
      for (let j = 0; j < H; j++) {
        const dh = dhN[j]! + dhHead[j]!;
        const ig = gates[go + j]!;
        const fg = gates[go + H + j]!;
        const gg = gates[go + 2 * H + j]!;
        const og = gates[go + 3 * H + j]!;
        const tcj = tc[tco + j]!;
        const dc = dcN[j]! + dh * og * (1 - tcj * tcj);
        dz[j] = dc * gg * ig * (1 - ig);
        dz[H + j] = dc * cp[cpo + j]! * fg * (1 - fg);
        dz[2 * H + j] = dc * ig * (1 - gg * gg);
        dz[3 * H + j] = dh * tcj * og * (1 - og);
        dcN[j] = dc * fg;
      }
      for (let j = 0; j < G; j++) g[tr.lstmBias + j] += dz[j]!;
      if (b2 >= 0) for (let j = 0; j < G; j++) g[b2 + j] += dz[j]!;
      for (let q = 0; q < D; q++) {
        const aq = a[ao + q]!;
        let acc = 0;
        if (aq !== 0) {
          // An inactive ReLU unit passes no gradient to its weights nor through itself.
          const row = tr.lstmKernel + q * G;
          for (let j = 0; j < G; j++) {
            g[row + j] += aq * dz[j]!;
            acc += p[row + j]! * dz[j]!;
          }
        }
        da[q] = acc;
      }
      for (let q = 0; q < H; q++) {
        const hq = hp[hpo + q]!;
        const row = tr.lstmRecurrentKernel + q * G;
        let acc = 0;
        for (let j = 0; j < G; j++) {
          g[row + j] += hq * dz[j]!;
          acc += p[row + j]! * dz[j]!;
        }
        dhN[q] = acc;
      }
      for (let j = 0; j < D; j++) g[tr.denseBias + j] += da[j]!;
      for (let q = 0; q < O; q++) {
        const xq = x[xo + q]!;
        if (xq === 0) continue;
        const row = tr.denseKernel + q * D;
        for (let j = 0; j < D; j++) g[row + j] += xq * da[j]!;
      }
    },
  };
}

// -------------------------------------------------------------------------------------------------------------
// Straight-line code. Each emitter writes exactly the operations of the loop version above, in the same order.

/** `first + t(0) + t(1) + …`, evaluated left to right like the loops' `s += …`. */
function sum(first: string, n: number, term: (k: number) => string): string {
  let s = first;
  for (let k = 0; k < n; k++) s += ` + ${term(k)}`;
  return s;
}

function generatedKernels(spec: NetworkSpec, tr: TrunkLayout): TrunkKernels {
  const O = spec.observationSize;
  const D = spec.denseUnits;
  const H = spec.lstmUnits;
  const G = 4 * H;
  const lines: string[] = [];
  const emit = (s: string): number => lines.push(s);

  emit("function project(p, x, xo, a, ao, proj, po) {");
  for (let k = 0; k < O; k++) emit(`const x${k} = x[xo + ${k}];`);
  for (let j = 0; j < D; j++) {
    emit(`const s${j} = ${sum(`p[${tr.denseBias + j}]`, O, (k) => `x${k} * p[${tr.denseKernel + k * D + j}]`)};`);
    emit(`const a${j} = s${j} > 0 ? s${j} : 0; a[ao + ${j}] = a${j};`);
  }
  const biasOf = (j: number): string => (tr.lstmBias2 >= 0 ? `(p[${tr.lstmBias + j}] + p[${tr.lstmBias2 + j}])` : `p[${tr.lstmBias + j}]`);
  for (let j = 0; j < G; j++) emit(`proj[po + ${j}] = ${sum(biasOf(j), D, (k) => `a${k} * p[${tr.lstmKernel + k * G + j}]`)};`);
  emit("}");

  emit("function recur(p, proj, po, hp, hpo, cp, cpo, gates, go, c, co, tc, tco, h, ho) {");
  for (let k = 0; k < H; k++) emit(`const h${k} = hp[hpo + ${k}];`);
  for (let j = 0; j < G; j++) emit(`gates[go + ${j}] = ${sum(`proj[po + ${j}]`, H, (k) => `h${k} * p[${tr.lstmRecurrentKernel + k * G + j}]`)};`);
  emit(`activateGates(${H}, gates, go, cp, cpo, c, co, tc, tco, h, ho);`);
  emit("}");

  // The backward step is four functions: one function of ~1,700 statements exceeds what V8 optimises (it would
  // stay in the interpreter, 20× slower). They share the scratch arrays dz (4H) and da (D).
  emit("function backwardCell(gates, go, cp, cpo, tc, tco, dhHead, dhN, dcN) {");
  for (let j = 0; j < H; j++) {
    emit(`{ const dh = dhN[${j}] + dhHead[${j}]; const ig = gates[go + ${j}]; const fg = gates[go + ${H + j}];`);
    emit(`  const gg = gates[go + ${2 * H + j}]; const og = gates[go + ${3 * H + j}]; const tcj = tc[tco + ${j}];`);
    emit(`  const dc = dcN[${j}] + dh * og * (1 - tcj * tcj);`);
    emit(`  dz[${j}] = dc * gg * ig * (1 - ig); dz[${H + j}] = dc * cp[cpo + ${j}] * fg * (1 - fg);`);
    emit(`  dz[${2 * H + j}] = dc * ig * (1 - gg * gg); dz[${3 * H + j}] = dh * tcj * og * (1 - og); dcN[${j}] = dc * fg; }`);
  }
  emit("}");
  emit("function backwardInput(p, g, a, ao) {");
  for (let j = 0; j < G; j++) emit(`const dz${j} = dz[${j}]; g[${tr.lstmBias + j}] += dz${j};${tr.lstmBias2 >= 0 ? ` g[${tr.lstmBias2 + j}] += dz${j};` : ""}`);
  for (let q = 0; q < D; q++) {
    const row = tr.lstmKernel + q * G;
    emit(`{ const aq = a[ao + ${q}]; let acc = 0;`);
    emit("  if (aq !== 0) {");
    for (let j = 0; j < G; j++) emit(`    g[${row + j}] += aq * dz${j};`);
    emit(`    acc = ${sum("0", G, (j) => `p[${row + j}] * dz${j}`)};`);
    emit(`  }\n  da[${q}] = acc; }`);
  }
  emit("}");
  emit("function backwardRecurrent(p, g, hp, hpo, dhN) {");
  for (let j = 0; j < G; j++) emit(`const dz${j} = dz[${j}];`);
  for (let q = 0; q < H; q++) {
    const row = tr.lstmRecurrentKernel + q * G;
    emit(`{ const hq = hp[hpo + ${q}];`);
    for (let j = 0; j < G; j++) emit(`  g[${row + j}] += hq * dz${j};`);
    emit(`  dhN[${q}] = ${sum("0", G, (j) => `p[${row + j}] * dz${j}`)}; }`);
  }
  emit("}");
  emit("function backwardDense(g, x, xo) {");
  for (let j = 0; j < D; j++) emit(`const da${j} = da[${j}]; g[${tr.denseBias + j}] += da${j};`);
  for (let q = 0; q < O; q++) {
    emit(`{ const xq = x[xo + ${q}];`);
    emit("  if (xq !== 0) {");
    for (let j = 0; j < D; j++) emit(`    g[${tr.denseKernel + q * D + j}] += xq * da${j};`);
    emit("  } }");
  }
  emit("}");
  emit("function backward(p, g, x, xo, a, ao, gates, go, cp, cpo, tc, tco, hp, hpo, dhHead, dhN, dcN) {");
  emit("  backwardCell(gates, go, cp, cpo, tc, tco, dhHead, dhN, dcN);");
  emit("  backwardInput(p, g, a, ao);");
  emit("  backwardRecurrent(p, g, hp, hpo, dhN);");
  emit("  backwardDense(g, x, xo);");
  emit("}");
  emit("return { project, recur, backward };");

  const make = new Function("activateGates", "dz", "da", lines.join("\n")) as (
    gates: typeof activateGates,
    dz: Float64Array,
    da: Float64Array,
  ) => Pick<TrunkKernels, "project" | "recur" | "backward">;
  const k = make(activateGates, new Float64Array(G), new Float64Array(D));
  return { kind: "generated", refresh: () => undefined, project: k.project, recur: k.recur, backward: k.backward };
}
