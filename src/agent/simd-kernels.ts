import wabtInit from "wabt";

/**
 * Hand-written WebAssembly SIMD (f32x4) kernels for MLP trunks, assembled at start-up from the text below
 * (the `wabt` package turns it into a module; nothing is downloaded). One register-blocked GEMM covers the
 * forward layer (A·B + bias, ReLU) and both backward products: Aᵀ·B (weight gradients) by passing A's strides
 * swapped, and A·Bᵀ (the gradient of the layer's input) through an explicitly transposed kernel. Why: tfjs on
 * WASM runs these products at ~2.6 GFLOP/s on one core (per-op dispatch, and transposed products off
 * XNNPACK's fast path); a 4 × 8 block kept in 8 vector registers runs several times faster (docs/ppo.md, "Big
 * networks and the GPU").
 *
 * Conventions: matrices are row-major float32 in the module's memory; pointers are byte offsets, strides are in
 * elements. `gemm` needs M a multiple of 4 and N a multiple of 4 (callers pad with zeros); every loop runs in a
 * fixed order, so the same inputs give the same bits.
 */

/** Rows and 4-lane column vectors of the GEMM's register block. */
const BLOCK_ROWS = 4;
const BLOCK_VECTORS = 2;

/** Flags of `gemm`. */
export const GEMM_ACCUMULATE = 1;
export const GEMM_RELU = 2;
export const GEMM_BIAS = 4;

/** The inner block: R rows × V vectors of C, over all K. Locals: $a0..$a{R-1} (A pointers), $b, $k, accumulators $c{r}_{v}. */
function blockCode(R: number, V: number): string {
  const lines: string[] = [];
  for (let r = 0; r < R; r++) lines.push(`(local.set $a${r} (i32.add (local.get $arow) (i32.mul (i32.const ${r}) (local.get $sar4))))`);
  lines.push(`(local.set $b (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2))))`);
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) lines.push(`(local.set $c${r}_${v} (v128.const i32x4 0 0 0 0))`);
  lines.push(`(local.set $k (local.get $K))`);
  lines.push(`(block $kdone (br_if $kdone (i32.eqz (local.get $k))) (loop $kl`);
  for (let v = 0; v < V; v++) lines.push(`(local.set $bv${v} (v128.load offset=${16 * v} (local.get $b)))`);
  for (let r = 0; r < R; r++) {
    lines.push(`(local.set $s (v128.load32_splat (local.get $a${r})))`);
    for (let v = 0; v < V; v++) lines.push(`(local.set $c${r}_${v} (f32x4.add (local.get $c${r}_${v}) (f32x4.mul (local.get $s) (local.get $bv${v}))))`);
    lines.push(`(local.set $a${r} (i32.add (local.get $a${r}) (local.get $sak4)))`);
  }
  lines.push(`(local.set $b (i32.add (local.get $b) (local.get $ldb4)))`);
  lines.push(`(local.set $k (i32.sub (local.get $k) (i32.const 1)))`);
  lines.push(`(br_if $kl (local.get $k))))`);
  // Epilogue: accumulate into C or add the bias, then ReLU, then store.
  for (let r = 0; r < R; r++) {
    lines.push(`(local.set $cp (i32.add (local.get $crow) (i32.add (i32.mul (i32.const ${r}) (local.get $ldc4)) (i32.shl (local.get $j) (i32.const 2)))))`);
    for (let v = 0; v < V; v++) {
      const acc = `$c${r}_${v}`;
      lines.push(`(if (i32.and (local.get $flags) (i32.const ${GEMM_ACCUMULATE})) (then (local.set ${acc} (f32x4.add (local.get ${acc}) (v128.load offset=${16 * v} (local.get $cp))))))`);
      lines.push(
        `(if (i32.and (local.get $flags) (i32.const ${GEMM_BIAS})) (then (local.set ${acc} (f32x4.add (local.get ${acc}) (v128.load offset=${16 * v} (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))`,
      );
      lines.push(`(if (i32.and (local.get $flags) (i32.const ${GEMM_RELU})) (then (local.set ${acc} (f32x4.max (local.get ${acc}) (v128.const i32x4 0 0 0 0)))))`);
      lines.push(`(v128.store offset=${16 * v} (local.get $cp) (local.get ${acc}))`);
    }
  }
  return lines.join("\n");
}

function gemmFunction(): string {
  const R = BLOCK_ROWS;
  const V = BLOCK_VECTORS;
  const locals: string[] = ["$i i32", "$j i32", "$k i32", "$b i32", "$cp i32", "$arow i32", "$crow i32", "$sar4 i32", "$sak4 i32", "$ldb4 i32", "$ldc4 i32", "$nmain i32", "$s v128"];
  for (let r = 0; r < R; r++) locals.push(`$a${r} i32`);
  for (let v = 0; v < V; v++) locals.push(`$bv${v} v128`);
  for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) locals.push(`$c${r}_${v} v128`);
  return `
  ;; C[i, j] (=, or += with ACCUMULATE) Σ_k A[i·sar + k·sak] · B[k·ldb + j] (+ bias[j]) (ReLU); M % ${R} = 0, N % 4 = 0.
  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32) (param $A i32) (param $sar i32) (param $sak i32)
        (param $B i32) (param $ldb i32) (param $C i32) (param $ldc i32) (param $bias i32) (param $flags i32)
    ${locals.map((l) => `(local ${l})`).join(" ")}
    (local.set $sar4 (i32.shl (local.get $sar) (i32.const 2)))
    (local.set $sak4 (i32.shl (local.get $sak) (i32.const 2)))
    (local.set $ldb4 (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $ldc4 (i32.shl (local.get $ldc) (i32.const 2)))
    ;; Columns covered by whole ${4 * V}-wide blocks; the rest (a multiple of 4) by 4-wide blocks.
    (local.set $nmain (i32.sub (local.get $N) (i32.rem_u (local.get $N) (i32.const ${4 * V}))))
    (local.set $i (i32.const 0))
    (block $idone (loop $il
      (br_if $idone (i32.ge_u (local.get $i) (local.get $M)))
      (local.set $arow (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $sar4))))
      (local.set $crow (i32.add (local.get $C) (i32.mul (local.get $i) (local.get $ldc4))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jl
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $nmain)))
        ${blockCode(R, V)}
        (local.set $j (i32.add (local.get $j) (i32.const ${4 * V})))
        (br $jl)))
      (block $jdone1 (loop $jl1
        (br_if $jdone1 (i32.ge_u (local.get $j) (local.get $N)))
        ${blockCode(R, 1)}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jl1)))
      (local.set $i (i32.add (local.get $i) (i32.const ${R})))
      (br $il)))
  )`;
}

const MODULE_TEXT = `(module
  (import "env" "memory" (memory 1))
  ${gemmFunction()}

  ;; dH[i] = H[i] > 0 ? dH[i] : 0 over n floats (n % 4 = 0): the ReLU's backward step, in place.
  (func (export "reluBackward") (param $n i32) (param $dH i32) (param $H i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dH) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $dH) (local.get $end)))
      (v128.store (local.get $dH) (v128.and (v128.load (local.get $dH)) (f32x4.gt (v128.load (local.get $H)) (v128.const i32x4 0 0 0 0))))
      (local.set $dH (i32.add (local.get $dH) (i32.const 16)))
      (local.set $H (i32.add (local.get $H) (i32.const 16)))
      (br $l)))
  )

  ;; out[j] = Σ_i X[i·ldx + j], i in order, for j < N (N % 4 = 0): a bias gradient.
  (func (export "columnSums") (param $M i32) (param $N i32) (param $X i32) (param $ldx i32) (param $out i32)
    (local $j i32) (local $i i32) (local $p i32) (local $acc v128)
    (local.set $j (i32.const 0))
    (block $jdone (loop $jl
      (br_if $jdone (i32.ge_u (local.get $j) (local.get $N)))
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $X) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (local.get $M))
      (block $idone (loop $il
        (br_if $idone (i32.eqz (local.get $i)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $ldx) (i32.const 2))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $il)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $jl)))
  )
)`;

export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  gemm(M: number, N: number, K: number, A: number, sar: number, sak: number, B: number, ldb: number, C: number, ldc: number, bias: number, flags: number): void;
  reluBackward(n: number, dH: number, H: number): void;
  columnSums(M: number, N: number, X: number, ldx: number, out: number): void;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The kernels' module, assembled once per process. */
function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat("mlp-kernels.wat", MODULE_TEXT, { simd: true });
    try {
      parsed.validate();
      return new WebAssembly.Module(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
  })();
  return compiled;
}

/** A fresh instance of the kernels on its own memory (initialPages × 64 KiB; grown by the caller). */
export async function createSimdKernels(initialPages = 16): Promise<SimdKernels> {
  const memory = new WebAssembly.Memory({ initial: initialPages });
  const instance = await WebAssembly.instantiate(await kernelModule(), { env: { memory } });
  const e = instance.exports as unknown as Omit<SimdKernels, "memory">;
  return { memory, gemm: e.gemm, reluBackward: e.reluBackward, columnSums: e.columnSums };
}

/** Rounds up to a multiple of 4 (the kernels' row and column granularity). */
export const pad4 = (n: number): number => (n + 3) & ~3;
