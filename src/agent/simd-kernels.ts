import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
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

/** The kernels' memory limit (pages of 64 KiB): shared memory declares one. 1 GiB. */
const MAX_PAGES = 16384;

const MODULE_TEXT = `(module
  (import "env" "memory" (memory 1 ${MAX_PAGES} shared))
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

/**
 * Row blocks of one GEMM job, taken in turn by every thread from a shared counter (so that a thread the OS
 * holds back just takes fewer blocks). A block's elements are computed by the same instructions whichever
 * thread takes it, so the result does not depend on the number of threads. K runs in slices of kSlice rows
 * (ACCUMULATE after the first; only for jobs without BIAS and RELU). Plain JavaScript source, compiled in the
 * main thread and in each worker. Control words: NEXT 0, DONE 1, job 2–15, SEQ 16, EXITED 17.
 */
const BLOCK_LOOP_SOURCE = `return function runBlocks(gemm, c) {
  const M = c[2], N = c[3], K = c[4], A = c[5], sar = c[6], sak = c[7], B = c[8], ldb = c[9], C = c[10], ldc = c[11], bias = c[12], flags = c[13], blockRows = c[14], kSlice = c[15];
  const blocks = Math.ceil(M / blockRows);
  for (;;) {
    const b = Atomics.add(c, 0, 1);
    if (b >= blocks) break;
    const i0 = b * blockRows;
    const rows = Math.min(blockRows, M - i0);
    for (let k0 = 0; k0 < K; k0 += kSlice) {
      gemm(rows, N, Math.min(kSlice, K - k0), A + 4 * (i0 * sar + k0 * sak), sar, sak, B + 4 * k0 * ldb, ldb, C + 4 * i0 * ldc, ldc, bias, k0 > 0 ? flags | ${GEMM_ACCUMULATE} : flags);
    }
    Atomics.add(c, 1, 1);
  }
};`;

/** A worker: waits for a job (SEQ changes), takes blocks, reports it has left the job (EXITED); SEQ −1 stops it. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const runBlocks = new Function(workerData.blockLoop)();
const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
const gemm = instance.exports.gemm;
const c = new Int32Array(workerData.control);
let seen = workerData.seq;
for (;;) {
  Atomics.wait(c, 16, seen);
  const s = Atomics.load(c, 16);
  if (s === -1) break;
  if (s === seen) continue;
  seen = s;
  runBlocks(gemm, c);
  Atomics.add(c, 17, 1);
  Atomics.notify(c, 17);
}
`;

/**
 * Jobs below this many multiply-adds (2²³: e.g. 256 rows × 256 × 128) run on the calling thread alone. Every
 * worker must enter and leave each job before the next one is posted, so on a loaded machine a worker the OS
 * holds back delays the job by up to a time slice: worth it only for large products, not for the rollout's
 * batch-numEnvs steps.
 */
const PARALLEL_MIN_MACS = 1 << 23;
/** Row blocks per job: enough for the threads to balance, few enough that each block amortises its loop. */
const BLOCKS_PER_JOB = 16;

export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  /** Threads that share large GEMMs (1: the calling thread alone). */
  readonly threads: number;
  gemm(M: number, N: number, K: number, A: number, sar: number, sak: number, B: number, ldb: number, C: number, ldc: number, bias: number, flags: number): void;
  /**
   * The same product split into row blocks over the threads, K in slices of kSlice (≥ K: one slice; slicing
   * needs flags without BIAS and RELU). The bits are the same for any number of threads.
   */
  parallelGemm(M: number, N: number, K: number, A: number, sar: number, sak: number, B: number, ldb: number, C: number, ldc: number, bias: number, flags: number, kSlice: number): void;
  reluBackward(n: number, dH: number, H: number): void;
  columnSums(M: number, N: number, X: number, ldx: number, out: number): void;
  /** Stops the workers. */
  dispose(): void;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The kernels' module, assembled once per process. */
function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat("mlp-kernels.wat", MODULE_TEXT, { simd: true, threads: true });
    try {
      // wabt's own validator refuses shared memories whatever the features; V8 validates the binary instead.
      return new WebAssembly.Module(parsed.toBinary({}).buffer);
    } finally {
      parsed.destroy();
    }
  })();
  return compiled;
}

/** Default threads: the machine's cores, at most 4. */
export const defaultSimdThreads = (): number => Math.max(1, Math.min(4, availableParallelism()));

/**
 * A fresh instance of the kernels on its own shared memory (initialPages × 64 KiB; grown by the caller), with
 * `threads` − 1 workers started on the first large job.
 */
export async function createSimdKernels(initialPages = 16, threads = 1): Promise<SimdKernels> {
  const module = await kernelModule();
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const e = instance.exports as unknown as Pick<SimdKernels, "gemm" | "reluBackward" | "columnSums">;
  const control = new SharedArrayBuffer(18 * 4);
  const c = new Int32Array(control);
  const runBlocks = new Function(BLOCK_LOOP_SOURCE)() as (gemm: SimdKernels["gemm"], c: Int32Array) => void;
  let workers: Worker[] = [];
  const start = (): void => {
    workers = Array.from({ length: threads - 1 }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, blockLoop: BLOCK_LOOP_SOURCE, seq: Atomics.load(c, 16) } });
      w.unref();
      return w;
    });
  };
  const parallelGemm: SimdKernels["parallelGemm"] = (M, N, K, A, sar, sak, B, ldb, C, ldc, bias, flags, kSlice) => {
    const alone = threads === 1 || M * N * K < PARALLEL_MIN_MACS;
    const blockRows = Math.max(4, pad4(Math.ceil(M / BLOCKS_PER_JOB)));
    c.set([0, 0, M, N, K, A, sar, sak, B, ldb, C, ldc, bias, flags, blockRows, Math.max(1, Math.min(kSlice, K))]);
    if (alone) {
      runBlocks(e.gemm, c);
      return;
    }
    if (workers.length === 0) start();
    Atomics.store(c, 17, 0);
    Atomics.add(c, 16, 1);
    Atomics.notify(c, 16);
    runBlocks(e.gemm, c);
    // Every worker must have left this job before the control words are rewritten for the next one.
    for (let done = Atomics.load(c, 17); done < workers.length; done = Atomics.load(c, 17)) Atomics.wait(c, 17, done);
  };
  return {
    memory,
    threads,
    gemm: e.gemm,
    parallelGemm,
    reluBackward: e.reluBackward,
    columnSums: e.columnSums,
    dispose: () => {
      if (workers.length === 0) return;
      Atomics.store(c, 16, -1);
      Atomics.notify(c, 16);
      for (const w of workers) void w.terminate();
      workers = [];
    },
  };
}
/** Rounds up to a multiple of 4 (the kernels' row and column granularity). */
export const pad4 = (n: number): number => (n + 3) & ~3;
