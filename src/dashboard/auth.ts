/**
 * Who may see and steer the trader (R20). The dashboard listens on 127.0.0.1 unless told otherwise, given
 * explicitly (Node's `listen(port)` alone binds every interface). Every page, state and control endpoint needs the
 * token: as `Authorization: Bearer <token>` (scripts, tests) or as the session cookie a browser gets by opening
 * the URL printed at start (`/?token=…`, then redirected to `/` so the token leaves the address bar).
 *
 *   - the token comes from the environment (DASHBOARD_TOKEN), never a flag (shell history, `ps`);
 *   - without one, a loopback bind invents a random token and prints it; a non-loopback bind refuses to start;
 *   - a token that is one of the well-known example secrets (exact match: freqtrade's substring check both missed
 *     examples and refused good secrets) or shorter than 16 characters refuses to start;
 *   - the token is never part of a page, a state, an event or a log line other than the start URL.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { DashboardError } from "./errors.js";

/** The environment variable holding the token. */
export const TOKEN_ENV = "DASHBOARD_TOKEN";
/** Shortest token accepted from the environment. */
export const MIN_TOKEN_LENGTH = 16;
/** The session cookie's name. */
export const SESSION_COOKIE = "drl_dashboard";

/**
 * Secrets copied from examples and defaults, refused by exact match: our own docs' placeholders, and the ones
 * tutorials and templates ship (freqtrade's config template, "changeme" and friends). Matching is exact on
 * purpose: "changeme" is refused, a long random token that happens to contain "secret" is not.
 */
export const EXAMPLE_SECRETS: readonly string[] = [
  "replace-with-a-long-random-token",
  "paste-a-long-random-token-here",
  "your-dashboard-token",
  "YOUR_DASHBOARD_TOKEN",
  "<token>",
  "TOKEN",
  "token",
  "changeme",
  "change-me",
  "change_me",
  "CHANGEME",
  "CHANGE_ME",
  "secret",
  "password",
  "dashboard",
  "admin",
  "somethingrandom",
  "somethingRandomSomethingRandom",
  "super-secret-token",
  "super-secret-password",
  "supersecretpassword",
  "my-secret-token",
  "your-secret-token",
  "your-token-here",
  "your_token_here",
  "xxxxxxxxxxxxxxxx",
  "0123456789abcdef",
  "1234567890123456",
  "aaaaaaaaaaaaaaaa",
];

/** True for a host that only this machine can reach: 127.0.0.0/8, ::1, "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h.startsWith("::ffff:") && isIP(h.slice(7)) === 4) return h.slice(7).startsWith("127.");
  return false;
}

export interface ResolvedToken {
  readonly token: string;
  /** True when the dashboard invented it (loopback without DASHBOARD_TOKEN): it prints it. */
  readonly generated: boolean;
}

/**
 * The token the dashboard runs with, or a DashboardError("insecure_config") naming the variable or the flag.
 * `fromEnv` is the DASHBOARD_TOKEN value (undefined or "" when unset).
 */
export function resolveToken(host: string, fromEnv: string | undefined, random: () => string = () => randomBytes(24).toString("base64url")): ResolvedToken {
  if (fromEnv === undefined || fromEnv === "") {
    if (!isLoopbackHost(host)) {
      throw new DashboardError(
        "insecure_config",
        `listening on ${host} (not loopback) needs a token: set ${TOKEN_ENV} to a long random secret (the dashboard invents one only for a loopback bind)`,
        "--host",
      );
    }
    return { token: random(), generated: true };
  }
  if (EXAMPLE_SECRETS.includes(fromEnv)) throw new DashboardError("insecure_config", `${TOKEN_ENV} is an example secret (a default anyone can read): use a long random one, e.g. \`openssl rand -base64 24\``, TOKEN_ENV);
  if (fromEnv.trim() !== fromEnv || /\s/.test(fromEnv)) throw new DashboardError("insecure_config", `${TOKEN_ENV} has spaces in it: copy the token alone`, TOKEN_ENV);
  if (fromEnv.length < MIN_TOKEN_LENGTH) throw new DashboardError("insecure_config", `${TOKEN_ENV} has ${fromEnv.length} characters, at least ${MIN_TOKEN_LENGTH} are needed`, TOKEN_ENV);
  return { token: fromEnv, generated: false };
}

/** Checks a token or a session cookie, in constant time. */
export class TokenGuard {
  private readonly tokenDigest: Buffer;
  /** The session cookie's value: an HMAC of the token (the cookie never carries the token itself). */
  readonly sessionValue: string;

  constructor(token: string) {
    this.tokenDigest = createHash("sha256").update(token).digest();
    this.sessionValue = createHmac("sha256", token).update("drl-dashboard-session-v1").digest("base64url");
  }

  /** Whether `candidate` is the token (hashing first makes the comparison length-independent). */
  tokenMatches(candidate: string | undefined | null): boolean {
    if (candidate === undefined || candidate === null || candidate === "") return false;
    return timingSafeEqual(createHash("sha256").update(candidate).digest(), this.tokenDigest);
  }

  /** Whether `value` is this dashboard's session cookie. */
  sessionMatches(value: string | undefined | null): boolean {
    if (value === undefined || value === null || value === "") return false;
    const a = createHash("sha256").update(value).digest();
    const b = createHash("sha256").update(this.sessionValue).digest();
    return timingSafeEqual(a, b);
  }

  /** Whether a request carries valid credentials: `Authorization: Bearer <token>` or the session cookie. */
  authorised(authorization: string | undefined, cookie: string | undefined): boolean {
    const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    return this.tokenMatches(bearer) || this.sessionMatches(cookie);
  }
}
