import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGeneratedBlock } from "../util/generated-block.js";
import { COURSE, courseTableMarkdown, exerciseProblems, exercisesOf, foldSolutions, withoutRemoteAssets } from "./course.js";
import { cellSource, parseNotebook, type Notebook } from "./notebook-file.js";

const DIR = fileURLToPath(new URL("../../notebooks/", import.meta.url));
const read = (file: string) => parseNotebook(readFileSync(join(DIR, file), "utf8"), file);

const cell = (id: string, cell_type: string, source: string, metadata: Record<string, unknown> = {}) => ({ id, cell_type, source, metadata, outputs: [] });
const solutionMeta = { jupyter: { source_hidden: true }, tags: ["solution"] };
function handMade(n: number, broken = false): Notebook {
  const cells = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return [
      cell(`ex${i}`, "markdown", "task"),
      cell(`ex${i}-answer`, "code", "const a = null;"),
      cell(`ex${i}-check`, "code", "checkExercise(...)"),
      cell(`ex${i}-solution`, "code", broken && i === 2 ? "checkExercise(...)" : "checkExercise(..., { strict: true })", broken && i === 3 ? {} : solutionMeta),
    ];
  }).flat();
  return { cells, metadata: {}, nbformat: 4, nbformat_minor: 5 };
}

describe("the course", () => {
  it("lists every notebook in notebooks/, in file order, and nothing else", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".ipynb")).sort();
    expect(COURSE.map((n) => n.file)).toEqual(files);
  });

  it("every notebook that has exercises lays them out as docs/notebooks.md says", () => {
    for (const n of COURSE.filter((c) => c.exercises)) {
      expect(exerciseProblems(read(n.file)), n.file).toEqual([]);
    }
  });

  it("finds what is wrong with an exercise layout", () => {
    expect(exerciseProblems(handMade(3))).toEqual([]);
    expect(exerciseProblems(handMade(2))).toEqual(["expected 3 to 5 exercises (cells ex1, ex2, …), found 2"]);
    expect(exerciseProblems(handMade(4, true))).toEqual([
      "exercise 2: its solution must run its check with { strict: true }",
      'exercise 3: its solution cell must be tagged "solution"',
      "exercise 3: its solution cell must be collapsed (metadata.jupyter.source_hidden)",
    ]);
  });

  it("notebooks/README.md holds the course table generated from COURSE", () => {
    const readme = readFileSync(join(DIR, "README.md"), "utf8");
    expect(readGeneratedBlock(readme, "course-table")).toBe(courseTableMarkdown());
  });
});

describe("pages for a class", () => {
  it("fold each worked solution with its output, and leave every other cell alone", () => {
    const nb = handMade(3);
    const withOutput = {
      ...nb,
      cells: nb.cells.map((c) => (c.id === "ex1-solution" ? { ...c, outputs: [{ output_type: "display_data", data: { "text/markdown": "**✓ passes**" } }] } : c)),
    };
    const folded = foldSolutions(withOutput);
    expect(folded.cells).toHaveLength(nb.cells.length);
    const sol = folded.cells.find((c) => c.id === "ex1-solution")!;
    expect(sol.cell_type).toBe("markdown");
    expect(cellSource(sol)).toMatch(/^<details class="solution"><summary>Worked solution/);
    expect(cellSource(sol)).toContain("checkExercise(..., { strict: true })");
    expect(cellSource(sol)).toContain("**✓ passes**");
    expect(folded.cells.find((c) => c.id === "ex1-check")).toEqual(nb.cells.find((c) => c.id === "ex1-check"));
    expect(exercisesOf(folded)).toHaveLength(3);
  });

  it("drop remote scripts and stylesheets, keep inline ones", () => {
    const html =
      '<head><script src="https://cdnjs.cloudflare.com/require.js"></script><link rel="stylesheet" href="https://x/y.css">' +
      '<script>window.Plotly = 1;</script><link rel="stylesheet" href="local.css"></head>';
    expect(withoutRemoteAssets(html)).toBe('<head><script>window.Plotly = 1;</script><link rel="stylesheet" href="local.css"></head>');
  });
});
