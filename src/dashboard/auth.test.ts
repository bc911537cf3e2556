import { describe, expect, it } from "vitest";
import { EXAMPLE_SECRETS, isLoopbackHost, MIN_TOKEN_LENGTH, resolveToken, TokenGuard } from "./auth.js";
import { DashboardError } from "./errors.js";

const GOOD = "k3J9-vQ2xZ7pL0aT5wR8mN4b";

describe("R20: where the dashboard may listen, and with which token", () => {
  it("knows loopback addresses from the rest", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:10.0.0.1", ""]) expect(isLoopbackHost(h), h).toBe(false);
  });

  it("invents a token on loopback when none is given, and refuses a non-loopback bind without one", () => {
    const r = resolveToken("127.0.0.1", undefined, () => "invented-token-xyz-123456");
    expect(r).toEqual({ token: "invented-token-xyz-123456", generated: true });
    expect(resolveToken("127.0.0.1", "").generated).toBe(true);
    expect(resolveToken("127.0.0.1", undefined).token.length).toBeGreaterThanOrEqual(MIN_TOKEN_LENGTH);
    for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
      const err = (() => {
        try {
          resolveToken(host, undefined);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(DashboardError);
      expect((err as DashboardError).code).toBe("insecure_config");
      expect((err as DashboardError).field).toBe("--host");
    }
    // With a good token a non-loopback bind starts.
    expect(resolveToken("0.0.0.0", GOOD)).toEqual({ token: GOOD, generated: false });
  });

  it("rejects example secrets by exact match, and only by exact match", () => {
    for (const s of EXAMPLE_SECRETS) {
      expect(() => resolveToken("0.0.0.0", s), s).toThrow(DashboardError);
      expect(() => resolveToken("127.0.0.1", s), s).toThrow(/example secret|characters/);
    }
    expect(() => resolveToken("0.0.0.0", "replace-with-a-long-random-token")).toThrow(/example secret/);
    // A long random token containing an example word is not an example (freqtrade's substring check refused these).
    expect(resolveToken("0.0.0.0", "Xq7-changeme-9fLk2pW").token).toBe("Xq7-changeme-9fLk2pW");
    expect(resolveToken("0.0.0.0", "replace-with-a-long-random-token!").token).toBe("replace-with-a-long-random-token!");
  });

  it("rejects short tokens and tokens with spaces", () => {
    expect(() => resolveToken("0.0.0.0", "a".repeat(MIN_TOKEN_LENGTH - 1) + "")).toThrow(/characters/);
    expect(() => resolveToken("0.0.0.0", ` ${GOOD}`)).toThrow(/spaces/);
    expect(() => resolveToken("0.0.0.0", `${GOOD}\n`)).toThrow(/spaces/);
  });

  it("checks bearer tokens and session cookies, and nothing else", () => {
    const g = new TokenGuard(GOOD);
    expect(g.authorised(`Bearer ${GOOD}`, undefined)).toBe(true);
    expect(g.authorised(`bearer ${GOOD}`, undefined)).toBe(true);
    expect(g.authorised(undefined, g.sessionValue)).toBe(true);
    expect(g.authorised(undefined, undefined)).toBe(false);
    expect(g.authorised(`Bearer ${GOOD}x`, undefined)).toBe(false);
    expect(g.authorised(`Bearer ${GOOD.slice(0, -1)}`, undefined)).toBe(false);
    expect(g.authorised(`Basic ${GOOD}`, undefined)).toBe(false);
    expect(g.authorised(GOOD, undefined)).toBe(false);
    // The cookie is not the token, and the token is not a cookie.
    expect(g.sessionValue).not.toContain(GOOD);
    expect(g.authorised(undefined, GOOD)).toBe(false);
    expect(g.authorised(`Bearer ${g.sessionValue}`, undefined)).toBe(false);
    // Another dashboard's session does not open this one.
    expect(g.authorised(undefined, new TokenGuard(`${GOOD}-other`).sessionValue)).toBe(false);
  });
});
