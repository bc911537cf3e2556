import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ccxt from "ccxt";
import { describe, expect, it } from "vitest";
import { CCXT_ERROR_ACTIONS, classifyError, errorClassChain, type FaultAction } from "./ccxt-errors.js";

/**
 * R5: the error-classification table pinned to the installed ccxt. The hierarchy below is the one the table was
 * written against (ccxt 4.5.84's errorHierarchy.ts); if an upgrade inserts a class, removes one or re-parents
 * one (e.g. RateLimitExceeded leaving NetworkError), this test fails instead of the trader changing behaviour.
 */
const PINNED_PARENT: Readonly<Record<string, string | null>> = {
  BaseError: null,
  ExchangeError: "BaseError",
  AuthenticationError: "ExchangeError",
  PermissionDenied: "AuthenticationError",
  AccountNotEnabled: "PermissionDenied",
  AccountSuspended: "AuthenticationError",
  ArgumentsRequired: "ExchangeError",
  BadRequest: "ExchangeError",
  BadSymbol: "BadRequest",
  OperationRejected: "ExchangeError",
  NoChange: "OperationRejected",
  MarginModeAlreadySet: "NoChange",
  MarketClosed: "OperationRejected",
  ManualInteractionNeeded: "OperationRejected",
  RestrictedLocation: "OperationRejected",
  InsufficientFunds: "ExchangeError",
  InvalidAddress: "ExchangeError",
  AddressPending: "InvalidAddress",
  InvalidOrder: "ExchangeError",
  OrderNotFound: "InvalidOrder",
  OrderNotCached: "InvalidOrder",
  OrderImmediatelyFillable: "InvalidOrder",
  OrderNotFillable: "InvalidOrder",
  DuplicateOrderId: "InvalidOrder",
  ContractUnavailable: "InvalidOrder",
  NotSupported: "ExchangeError",
  InvalidProxySettings: "ExchangeError",
  ExchangeClosedByUser: "ExchangeError",
  OperationFailed: "BaseError",
  NetworkError: "OperationFailed",
  DDoSProtection: "NetworkError",
  RateLimitExceeded: "NetworkError",
  ExchangeNotAvailable: "NetworkError",
  OnMaintenance: "ExchangeNotAvailable",
  InvalidNonce: "NetworkError",
  ChecksumError: "InvalidNonce",
  RequestTimeout: "NetworkError",
  BadResponse: "OperationFailed",
  NullResponse: "BadResponse",
  CancelPending: "OperationFailed",
  UnsubscribeError: "BaseError",
};

/** The behaviour R1–R4 require of the classes they name. */
const REQUIRED: ReadonlyArray<[string, FaultAction]> = [
  ["RequestTimeout", "retry"],
  ["NetworkError", "retry"],
  ["ExchangeNotAvailable", "retry"],
  ["OnMaintenance", "retry"],
  ["DDoSProtection", "retry"],
  ["RateLimitExceeded", "retry"],
  ["InsufficientFunds", "skip"],
  ["InvalidOrder", "skip"],
  ["BadSymbol", "skip"],
  ["AuthenticationError", "halt"],
  ["PermissionDenied", "halt"],
  ["AccountSuspended", "halt"],
  ["InvalidNonce", "resync"],
  ["OrderNotFound", "not_found"],
  ["DuplicateOrderId", "duplicate"],
];

const errorClasses = ccxt.errors as unknown as Record<string, new (message: string) => Error>;

describe("R5: ccxt error classification pinned to the installed ccxt", () => {
  it("runs against the lock-file version of ccxt", () => {
    const lock = JSON.parse(readFileSync(fileURLToPath(new URL("../../package-lock.json", import.meta.url)), "utf8")) as {
      packages: Record<string, { version?: string }>;
    };
    const installed = JSON.parse(readFileSync(fileURLToPath(new URL("../../node_modules/ccxt/package.json", import.meta.url)), "utf8")) as { version: string };
    expect(installed.version).toBe(lock.packages["node_modules/ccxt"]?.version);
  });

  it("the installed hierarchy is exactly the pinned one, and the table names every class", () => {
    const actual: Record<string, string | null> = {};
    for (const [name, cls] of Object.entries(errorClasses)) {
      if (name === "default" || typeof cls !== "function") continue;
      const parent = Object.getPrototypeOf(cls) as { name?: string } | null;
      actual[name] = parent?.name === "Error" || parent?.name === undefined ? null : parent.name;
    }
    expect(actual).toEqual(PINNED_PARENT);
    expect(Object.keys(CCXT_ERROR_ACTIONS).sort()).toEqual(Object.keys(PINNED_PARENT).sort());
  });

  it("every leaf and inner class gets its action from an instance of the real class", () => {
    for (const [name, expected] of Object.entries(CCXT_ERROR_ACTIONS)) {
      const Cls = errorClasses[name]!;
      const c = classifyError(new Cls(`binance ${name} test`));
      expect([name, c.action, c.errorClass]).toEqual([name, expected, name]);
    }
    for (const [name, expected] of REQUIRED) expect([name, CCXT_ERROR_ACTIONS[name]]).toEqual([name, expected]);
  });

  it("a duplicate reported as InvalidOrder (Binance -2010) is a duplicate; other InvalidOrders are skips", () => {
    expect(classifyError(new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')).action).toBe("duplicate");
    expect(classifyError(new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Filter failure: LOT_SIZE"}')).action).toBe("skip");
    expect(classifyError(new ccxt.InsufficientFunds("binance Account has insufficient balance for requested action.")).action).toBe("skip");
  });

  it("a subclass unknown to the table takes its nearest known ancestor; a non-ccxt error halts", () => {
    class FutureTimeout extends ccxt.RequestTimeout {}
    expect(classifyError(new FutureTimeout("x"))).toMatchObject({ action: "retry", errorClass: "RequestTimeout" });
    expect(errorClassChain(new FutureTimeout("x")).slice(0, 3)).toEqual(["FutureTimeout", "RequestTimeout", "NetworkError"]);
    expect(classifyError(new TypeError("undefined is not a function"))).toMatchObject({ action: "halt", errorClass: "TypeError" });
    expect(classifyError("a string")).toMatchObject({ action: "halt" });
  });
});
