import { describe, expect, it } from "vitest";
import { ExerciseCheckError, answered, checkExercise, holds, near, within } from "./exercises.js";

describe("exercise checks", () => {
  it("pass, fail and wait for an answer, and say which", () => {
    expect(near("the mean", 1.04, 1, 0.05).ok).toBe(true);
    expect(near("the mean", 1.2, 1, 0.05).ok).toBe(false);
    expect(near("the mean", null, 1, 0.05)).toMatchObject({ ok: false, pending: true });
    expect(within("a share", 0.3, 0, 1).ok).toBe(true);
    expect(within("a share", 1.3, 0, 1).says).toMatch(/outside the plausible range \[0, 1\]/);
    expect(holds("sorted", false, "sort it first").says).toBe("sorted: not yet — sort it first");
    expect(answered("x", 0).ok).toBe(true);
  });

  it("reports to the notebook, never throws for a student, throws for a solution that no longer passes", () => {
    const out: string[] = [];
    const write = (m: string) => void out.push(m);
    expect(checkExercise("1", [near("a", 2, 2, 0)], { write })).toBe(true);
    expect(out.pop()).toMatch(/^\*\*Exercise 1: ✓ plausible\*\*\n- ✓ a: 2 is right/);
    expect(checkExercise("2", [near("a", null, 2, 0)], { write })).toBe(false);
    expect(out.pop()).toMatch(/^\*\*Exercise 2: not answered yet\*\*/);
    expect(checkExercise("3", [near("a", 3, 2, 0), holds("b", true, "")], { write })).toBe(false);
    expect(out.pop()).toMatch(/^\*\*Exercise 3: ✗ not yet\*\*\n- ✗ a: 3/);
    expect(() => checkExercise("4", near("a", 3, 2, 0), { strict: true, write })).toThrow(ExerciseCheckError);
    expect(() => checkExercise("4", near("a", 2, 2, 0), { strict: true, write })).not.toThrow();
    expect(out.pop()).toMatch(/the worked solution passes its check/);
  });
});
