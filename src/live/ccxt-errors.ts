/**
 * What the trader does about each ccxt error (R3, R4, R5), decided from ccxt's error hierarchy before any
 * retry. The table names every class of the installed ccxt (src/live/ccxt-errors.test.ts checks that it covers
 * each one and that the hierarchy is the one it was written against, so a ccxt upgrade that moves a class fails
 * CI instead of silently changing behaviour).
 *
 *   retry      transient (the NetworkError family, bad responses): bounded retries with backoff for reads; for
 *              createOrder the outcome is UNKNOWN — look the order up by client id before anything else (R1)
 *   skip       the exchange refused this input and will refuse it again (ccxt: ExchangeError "will go bad every
 *              time"): one call, a logged error naming the class, the tick skipped, the loop alive (R3)
 *   halt       credentials, permissions, an account problem or a bug on our side: the trader stops and needs a
 *              manual start (R3; stricter than freqtrade, which treats auth errors as temporary)
 *   resync     InvalidNonce: one retry after re-syncing the clock with the exchange, then halt (R3)
 *   not_found  OrderNotFound: "not found" does not mean "did not happen" (eventually consistent APIs, R2)
 *   duplicate  DuplicateOrderId: the order is already placed — look it up and adopt it (R1)
 */

export type FaultAction = "retry" | "skip" | "halt" | "resync" | "not_found" | "duplicate";

/** Every error class of ccxt 4.5.x by name, with the action. Keep in step with the hierarchy test. */
export const CCXT_ERROR_ACTIONS: Readonly<Record<string, FaultAction>> = {
  BaseError: "halt",
  ExchangeError: "skip",
  AuthenticationError: "halt",
  PermissionDenied: "halt",
  AccountNotEnabled: "halt",
  AccountSuspended: "halt",
  ArgumentsRequired: "halt",
  BadRequest: "skip",
  BadSymbol: "skip",
  OperationRejected: "skip",
  NoChange: "skip",
  MarginModeAlreadySet: "skip",
  MarketClosed: "skip",
  ManualInteractionNeeded: "halt",
  RestrictedLocation: "halt",
  InsufficientFunds: "skip",
  InvalidAddress: "skip",
  AddressPending: "skip",
  InvalidOrder: "skip",
  OrderNotFound: "not_found",
  OrderNotCached: "not_found",
  OrderImmediatelyFillable: "skip",
  OrderNotFillable: "skip",
  DuplicateOrderId: "duplicate",
  ContractUnavailable: "skip",
  NotSupported: "halt",
  InvalidProxySettings: "halt",
  ExchangeClosedByUser: "halt",
  OperationFailed: "retry",
  NetworkError: "retry",
  DDoSProtection: "retry",
  RateLimitExceeded: "retry",
  ExchangeNotAvailable: "retry",
  OnMaintenance: "retry",
  InvalidNonce: "resync",
  ChecksumError: "retry",
  RequestTimeout: "retry",
  BadResponse: "retry",
  NullResponse: "retry",
  CancelPending: "retry",
  UnsubscribeError: "skip",
};

/**
 * Exchanges that report a duplicate client order id as a generic rejection: Binance answers
 * {"code":-2010,"msg":"Duplicate order sent."}, which ccxt maps to InvalidOrder.
 */
const DUPLICATE_MESSAGES = [/duplicate order sent/i, /duplicate client ?order ?id/i, /clientorderid .*(exists|duplicate)/i];

export interface ClassifiedError {
  readonly action: FaultAction;
  /** The ccxt class name that decided (the nearest one in the table), or the JS error name for a non-ccxt error. */
  readonly errorClass: string;
  readonly message: string;
}

/** The class names of `err` from the most derived up (Error and Object excluded). */
export function errorClassChain(err: unknown): string[] {
  const names: string[] = [];
  if (err === null || typeof err !== "object") return names;
  for (let p = Object.getPrototypeOf(err) as object | null; p !== null && p !== Error.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const name = (p as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && name !== "") names.push(name);
  }
  return names;
}

/**
 * The action for an error thrown by a ccxt call. A non-ccxt error (a TypeError, a bug) halts: an unexpected
 * operational error stops the trader (freqtrade's worker → State.STOPPED).
 */
export function classifyError(err: unknown): ClassifiedError {
  const message = err instanceof Error ? err.message : String(err);
  // A simulated exchange's error carries its class and action already (exchange.ts ExchangeFault).
  if (err instanceof Error && err.name === "ExchangeFault" && "action" in err && "errorClass" in err) {
    return { action: err.action as FaultAction, errorClass: String(err.errorClass), message };
  }
  const chain = errorClassChain(err);
  for (const name of chain) {
    const action = CCXT_ERROR_ACTIONS[name];
    if (action === undefined) continue;
    if (action === "skip" && chain.includes("InvalidOrder") && DUPLICATE_MESSAGES.some((re) => re.test(message))) {
      return { action: "duplicate", errorClass: chain[0]!, message };
    }
    return { action, errorClass: name, message };
  }
  return { action: "halt", errorClass: chain[0] ?? (err instanceof Error ? err.name : typeof err), message };
}
