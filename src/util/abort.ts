import { InterruptedError, type StopSignal } from "./errors.js";

/**
 * Stopping long work. Commands hand an AbortSignal to their jobs (src/cli aborts it on the first SIGINT or
 * SIGTERM, with an InterruptedError as its reason); long loops poll it at their safe points (the end of a
 * training update, of a fetched page, of a fold) and wind down, keeping what finished.
 *
 * Node runs signal handlers on the event loop, so a loop that never yields never sees a signal: loops call
 * `yieldToEventLoop` (cheap when throttled: at most every `everyMs`).
 */

/** Resolves after the event loop has run once (timers, I/O, signal handlers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A yield that only really yields when `everyMs` passed since the last one (per returned function). */
export function throttledYield(everyMs = 50): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return yieldToEventLoop();
  };
}

/** The signal that stopped a run (when the AbortSignal was aborted by src/cli), else null. */
export function stopSignalOf(signal: AbortSignal | undefined): StopSignal | null {
  if (signal === undefined || !signal.aborted) return null;
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? reason.signal : "SIGINT";
}

/** Throws the abort reason (an InterruptedError when src/cli aborted) if `signal` is aborted. */
export function throwIfStopped(signal: AbortSignal | undefined, message?: string): void {
  if (signal === undefined || !signal.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof InterruptedError) throw message === undefined ? reason : new InterruptedError(reason.signal, message);
  throw new InterruptedError("SIGINT", message);
}
