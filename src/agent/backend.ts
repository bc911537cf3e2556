import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AgentError } from "./errors.js";

/**
 * Picks the fastest TensorFlow.js backend this machine has, in this order: tfjs-node-gpu (CUDA), tfjs-node
 * (native TensorFlow on the CPU), WASM, plain JS ("cpu"). A native package counts only if the "tensorflow"
 * backend actually registered: here package.json maps @tensorflow/tfjs-node to plain @tensorflow/tfjs (danfojs
 * needs the name), so importing it succeeds and gives no native backend.
 */

export const BACKEND_PREFERENCES = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
type Candidate = Exclude<BackendPreference, "auto">;

export interface BackendInfo {
  /** The candidate that ran: "tensorflow-gpu", "tensorflow", "wasm" or "cpu". */
  readonly kind: Candidate;
  /** tf.getBackend() after selection. */
  readonly name: string;
  /** The npm package that provides it. */
  readonly package: string;
  /** True for the CUDA build (tfjs-node-gpu). */
  readonly gpu: boolean;
  readonly tfjsVersion: string;
  /** What was tried before and why it was passed over. */
  readonly notes: readonly string[];
}

const PACKAGES: Record<Candidate, string> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs",
};

type Tf = typeof import("@tensorflow/tfjs");

let selected: BackendInfo | null = null;

/** Loads @tensorflow/tfjs (about a second) and returns it; the backend is chosen by selectBackend. */
export async function loadTf(): Promise<Tf> {
  return import("@tensorflow/tfjs");
}

async function tryNative(tf: Tf, pkg: string): Promise<string | null> {
  try {
    const specifier: string = pkg; // a variable: the package may be absent, and TypeScript must not resolve it
    await import(specifier);
  } catch (err) {
    return `${pkg}: not installed (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  }
  if (tf.findBackendFactory("tensorflow") === null) {
    return `${pkg}: imported, but no "tensorflow" backend registered (no native TensorFlow behind it)`;
  }
  try {
    if (await tf.setBackend("tensorflow")) return null;
    return `${pkg}: the "tensorflow" backend failed to initialise`;
  } catch (err) {
    return `${pkg}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function tryWasm(tf: Tf): Promise<string | null> {
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
  try {
    wasm = await import("@tensorflow/tfjs-backend-wasm");
  } catch (err) {
    return `${PACKAGES.wasm}: not installed (${err instanceof Error ? err.message : String(err)})`;
  }
  try {
    if (await tf.setBackend("wasm")) return null;
  } catch {
    // Fall through: point the loader at the package's own .wasm files and retry.
  }
  try {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(join(dist, "/"));
    if (await tf.setBackend("wasm")) return null;
  } catch (err) {
    return `${PACKAGES.wasm}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return `${PACKAGES.wasm}: the "wasm" backend failed to initialise`;
}

/**
 * Selects and initialises the backend (once per process: tfjs backends are global). "auto" takes the first
 * candidate that works; any other preference must work or an AgentError("backend_unavailable") says why.
 */
export async function selectBackend(preference: BackendPreference = "auto"): Promise<BackendInfo> {
  if (selected !== null && (preference === "auto" || preference === selected.kind)) return selected;
  const tf = await loadTf();
  const candidates: Candidate[] = preference === "auto" ? ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] : [preference];
  const notes: string[] = [];
  for (const kind of candidates) {
    let failure: string | null;
    if (kind === "tensorflow-gpu" || kind === "tensorflow") failure = await tryNative(tf, PACKAGES[kind]);
    else if (kind === "wasm") failure = await tryWasm(tf);
    else failure = (await tf.setBackend("cpu")) ? null : `${PACKAGES.cpu}: the "cpu" backend failed to initialise`;
    if (failure === null) {
      await tf.ready();
      selected = { kind, name: tf.getBackend(), package: PACKAGES[kind], gpu: kind === "tensorflow-gpu", tfjsVersion: tf.version.tfjs, notes };
      return selected;
    }
    notes.push(failure);
  }
  throw new AgentError("backend_unavailable", `backend "${preference}" is not available here: ${notes.join("; ")}`, "backend");
}

/** The backend selected so far in this process, or null. */
export function currentBackend(): BackendInfo | null {
  return selected;
}
