import { z } from "zod";
import { CandleCsvError, CandleDataError } from "../data/errors.js";

/**
 * Any error as the one line a command prints: `code at place: message`. The project's errors are data (a
 * `code` and the place that broke); this reads the two shapes they come in (`code at field: message` and
 * `field: code: expected …, got …`), the CSV reader's list of broken rules, Node's system errors and zod's.
 * Anything else has no code: it is a bug, reported as `internal_error`.
 */

export interface DescribedError {
  readonly code: string;
  /** Flag, field, file:line… (absent when the error names no place). */
  readonly place?: string;
  /** One line. */
  readonly message: string;
  /** false for bugs (no project code): the command suggests --debug for the stack. */
  readonly known: boolean;
}

const oneLine = (s: string): string =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("; ");

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function describeError(err: unknown): DescribedError {
  if (err instanceof CandleCsvError) {
    const col = err.column > 0 ? ` (${err.field})` : "";
    const more = err.issues.length > 1 ? ` (+${err.issues.length - 1}${err.truncated ? "+" : ""} more problems: npm run validate -- ${err.file} lists them)` : "";
    return { code: err.code, place: `${err.file}:${err.line}${col}`, message: `expected ${err.expected}, got ${err.got}${more}`, known: true };
  }
  if (err instanceof CandleDataError) {
    const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : "";
    return { code: err.code, place: `${err.source} row ${err.row} (${err.field})`, message: `expected ${err.expected}, got ${err.got}${more}`, known: true };
  }
  if (err instanceof z.ZodError) {
    const issue = err.issues[0];
    return { code: "invalid_config", ...(issue && issue.path.length > 0 ? { place: issue.path.join(".") } : {}), message: issue?.message ?? err.message, known: true };
  }
  if (err instanceof Error) {
    const e = err as Error & Record<string, unknown>;
    const code = str(e["code"]);
    if (code === undefined) return { code: "internal_error", message: oneLine(err.message) || err.name, known: false };
    // Node's system errors: ENOENT etc. with the path.
    if (/^E[A-Z]+$/.test(code) && str(e["syscall"]) !== undefined) {
      const path = str(e["path"]);
      const text = err.message.replace(new RegExp(`^${code}: `), "").replace(/, \w+ '.*'$/, "");
      return { code, ...(path === undefined ? {} : { place: path }), message: text, known: true };
    }
    const place = str(e["field"]) ?? str(e["where"]) ?? str(e["file"]) ?? str(e["path"]);
    let message = err.message;
    // `code at place: message` / `code: message`
    const prefix = place === undefined ? `${code}: ` : `${code} at ${place}: `;
    if (message.startsWith(prefix)) message = message.slice(prefix.length);
    else if (place !== undefined && message.startsWith(`${place}: ${code}: `)) message = message.slice(`${place}: ${code}: `.length);
    else if (place !== undefined && message.startsWith(`${place}: `)) message = message.slice(place.length + 2);
    return { code, ...(place === undefined ? {} : { place }), message: oneLine(message), known: true };
  }
  return { code: "internal_error", message: oneLine(String(err)), known: false };
}

/** `code at place: message`, with `place` shown through `placeName` (e.g. a config field as its flag). */
export function formatError(err: unknown, placeName: (place: string) => string = (p) => p): string {
  const d = describeError(err);
  return `${d.code}${d.place === undefined ? "" : ` at ${placeName(d.place)}`}: ${d.message}`;
}
