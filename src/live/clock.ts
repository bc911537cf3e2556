/**
 * Time for the trader. Live and paper runs read the system clock and sleep on timers; a replay runs on a
 * simulated clock that jumps to the next tick at once (as fast as possible) or after `paceMs` of real time
 * (--tick-ms), so the same scheduler drives every mode.
 */
export interface Clock {
  readonly simulated: boolean;
  now(): number;
  /** Waits until `t`; resolves false when `signal` aborted the wait. */
  sleepUntil(t: number, signal?: AbortSignal): Promise<boolean>;
}

/** Real-time wait of `ms`, cut short by `signal` (resolves false then). */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve(false);
    if (ms <= 0) return resolve(true);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export class SystemClock implements Clock {
  readonly simulated = false;
  now(): number {
    return Date.now();
  }
  async sleepUntil(t: number, signal?: AbortSignal): Promise<boolean> {
    // Long waits in slices, so a suspended laptop or a clock step cannot oversleep a tick by much.
    for (;;) {
      if (signal?.aborted === true) return false;
      const left = t - Date.now();
      if (left <= 0) return true;
      if (!(await sleepMs(Math.min(left, 30_000), signal))) return false;
    }
  }
}

export class ReplayClock implements Clock {
  readonly simulated = true;
  private t: number;
  constructor(
    start: number,
    /** Real ms to wait per jump (0: as fast as possible). */
    readonly paceMs = 0,
  ) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  async sleepUntil(t: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted === true) return false;
    if (t > this.t && this.paceMs > 0 && !(await sleepMs(this.paceMs, signal))) return false;
    if (t > this.t) this.t = t;
    return true;
  }
}
