/**
 * Exercises in notebooks (the mechanism is documented in docs/notebooks.md, "Exercises").
 *
 * Every notebook ends with 3–5 exercises. Each one is four cells with fixed ids:
 *   `exN`          markdown: the task (predict, then check; extend a piece of code; what a result does not show)
 *   `exN-answer`   code: the student's cell, runnable as committed (answers start as `null`)
 *   `exN-check`    code: `checkExercise("N", [...])` says whether the answer is plausible, never throws
 *   `exN-solution` code, collapsed and tagged "solution": a worked solution followed by
 *                  `checkExercise("N", [...], { strict: true })`, which throws when the solution no longer
 *                  passes, so `npm test` (which executes every notebook) keeps solutions from rotting
 * A check is a list of {@link Check}s built with {@link near}, {@link within}, {@link holds} and
 * {@link answered}; an unanswered exercise reports "not answered yet" instead of a failure.
 */
import { showMarkdown } from "./show-figure.js";

export interface Check {
  /** The check passed. */
  readonly ok: boolean;
  /** One line: what was checked, and on failure what to look at. */
  readonly says: string;
  /** The answer was not given yet (null or undefined): neither a pass nor a failure. */
  readonly pending?: boolean;
}

const show = (x: unknown): string => (typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toPrecision(4)) : JSON.stringify(x));

/** The answer is given (not null / undefined); `label` names it in the message. */
export function answered(label: string, value: unknown): Check {
  const missing = value === null || value === undefined;
  return { ok: !missing, pending: missing, says: missing ? `${label}: not answered yet (replace the null)` : `${label}: answered` };
}

/** |got − want| ≤ tolerance. */
export function near(label: string, got: number | null | undefined, want: number, tolerance: number): Check {
  if (got === null || got === undefined) return answered(label, got);
  const ok = Math.abs(got - want) <= tolerance;
  return { ok, says: ok ? `${label}: ${show(got)} is right (within ${show(tolerance)})` : `${label}: ${show(got)} is not close enough; look again` };
}

/** lo ≤ got ≤ hi: a plausible range rather than one right number. */
export function within(label: string, got: number | null | undefined, lo: number, hi: number): Check {
  if (got === null || got === undefined) return answered(label, got);
  const ok = got >= lo && got <= hi;
  return { ok, says: ok ? `${label}: ${show(got)} is plausible` : `${label}: ${show(got)} is outside the plausible range [${show(lo)}, ${show(hi)}]` };
}

/** A condition the answer must satisfy; `hint` is shown when it does not; null: not answered yet. */
export function holds(label: string, condition: boolean | null, hint: string): Check {
  if (condition === null) return answered(label, null);
  return { ok: condition, says: condition ? `${label}: right` : `${label}: not yet — ${hint}` };
}

export class ExerciseCheckError extends Error {
  override readonly name = "ExerciseCheckError";
  constructor(
    /** The exercise's number. */
    readonly exercise: string,
    readonly failed: readonly Check[],
  ) {
    super(`exercise ${exercise}: the worked solution no longer passes its check: ${failed.map((c) => c.says).join("; ")}`);
  }
}

export interface CheckOptions {
  /** Throw when a check fails or is pending (solution cells). */
  readonly strict?: boolean;
  /** Where the lines go (default: a Markdown output in the notebook, or the console outside a kernel). */
  readonly write?: (markdown: string) => void;
}

function defaultWrite(markdown: string): void {
  try {
    showMarkdown(markdown);
  } catch {
    console.log(markdown);
  }
}

/** Reports an exercise's checks; returns whether every check passed. */
export function checkExercise(exercise: string, checks: Check | readonly Check[], opts: CheckOptions = {}): boolean {
  const list = Array.isArray(checks) ? (checks as readonly Check[]) : [checks as Check];
  const pending = list.some((c) => c.pending === true);
  const failed = list.filter((c) => !c.ok);
  const ok = failed.length === 0;
  const head = ok
    ? `**Exercise ${exercise}: ✓ ${opts.strict === true ? "the worked solution passes its check" : "plausible"}**`
    : pending && failed.every((c) => c.pending === true)
      ? `**Exercise ${exercise}: not answered yet**`
      : `**Exercise ${exercise}: ✗ not yet**`;
  const lines = list.map((c) => `- ${c.ok ? "✓" : c.pending === true ? "…" : "✗"} ${c.says}`);
  (opts.write ?? defaultWrite)([head, ...lines].join("\n"));
  if (opts.strict === true && !ok) throw new ExerciseCheckError(exercise, failed);
  return ok;
}
