/**
 * Bounded retries for reads (R4): only errors classified `retry` (the NetworkError family, bad responses) are
 * retried, with increasing backoff, at most `retries` times, so a call is made at most retries + 1 times
 * (freqtrade's `call_count == API_RETRY_COUNT + 1`). Anything else is thrown at once. Order placement never goes
 * through here: createOrder is not idempotent (order-manager.ts).
 */
import { classifyError, type ClassifiedError } from "./ccxt-errors.js";

export interface RetryPolicy {
  /** Retries after the first call. */
  readonly retries: number;
  /** Delay before retry k (1-based) is min(maxMs, baseMs · 2^(k−1)). */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_READ_RETRIES: RetryPolicy = { retries: 3, baseMs: 500, maxMs: 8_000 };

/** Thrown when a read still fails after its retries: the tick is skipped (no order) and the next one runs. */
export class ReadFailed extends Error {
  override readonly name = "ReadFailed";
  constructor(
    readonly call: string,
    readonly calls: number,
    readonly error: ClassifiedError,
  ) {
    super(`${call} failed ${calls} time(s): ${error.errorClass}: ${error.message.slice(0, 200)}`);
  }
}

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
}

/**
 * Runs `fn`, retrying `retry`-classified errors. Throws ReadFailed after the last retry, or the original error
 * for any other class (the caller decides: skip, halt).
 */
export async function withReadRetries<T>(
  call: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<unknown>,
  onRetry?: (attempt: number, delayMs: number, error: ClassifiedError) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const c = classifyError(err);
      if (c.action !== "retry") throw err;
      if (attempt >= policy.retries) throw new ReadFailed(call, attempt + 1, c);
      const delay = backoffMs(attempt + 1, policy);
      onRetry?.(attempt + 1, delay, c);
      await sleep(delay);
    }
  }
}
