import { describe, expect, it } from "vitest";
import {
  NotebookFormatError,
  cellOutputText,
  cellSource,
  cellsWithOutputs,
  figureOutputCount,
  parseNotebook,
  serializeNotebook,
  stripNotebook,
  type Notebook,
} from "./notebook-file.js";

const executed: Notebook = {
  cells: [
    { cell_type: "markdown", source: ["# T\n", "text"], metadata: {} },
    {
      cell_type: "code",
      id: "a",
      source: "console.log(1)",
      metadata: { execution: { "iopub.status.busy": "x" }, tags: ["keep"] },
      execution_count: 1,
      outputs: [
        { output_type: "stream", name: "stdout", text: ["1\n"] },
        { output_type: "stream", name: "stderr", text: "warn\n" },
      ],
    },
    {
      cell_type: "code",
      source: ["showFigure(a);\n", "showFigure(b);"],
      metadata: {},
      execution_count: 2,
      outputs: [
        { output_type: "display_data", data: { "text/html": ['<div id="x" class="lab-figure"></div>', "<script></script>"], "text/plain": "Figure" } },
        { output_type: "display_data", data: { "text/html": '<div class="lab-figure"></div>' } },
        { output_type: "error", ename: "Error", evalue: "boom", traceback: ["Error: boom", "  at x"] },
      ],
    },
    { cell_type: "code", source: "", metadata: {}, execution_count: null, outputs: [] },
  ],
  metadata: { kernelspec: { name: "tslab" } },
  nbformat: 4,
  nbformat_minor: 4,
};

describe("parseNotebook", () => {
  it("accepts nbformat 4 and names the file in errors", () => {
    expect(parseNotebook(JSON.stringify(executed), "x.ipynb").cells).toHaveLength(4);
    expect(() => parseNotebook("{", "bad.ipynb")).toThrow(NotebookFormatError);
    expect(() => parseNotebook("{", "bad.ipynb")).toThrow(/^bad\.ipynb: not valid JSON/);
    expect(() => parseNotebook('{"cells": 1}', "x.ipynb")).toThrow(/expected an nbformat 4 notebook/);
    expect(() => parseNotebook('{"cells": [], "nbformat": 3}', "x.ipynb")).toThrow(/expected nbformat 4, got 3/);
  });
});

describe("outputs", () => {
  it("finds code cells with outputs or an execution count", () => {
    expect(cellsWithOutputs(executed)).toEqual([1, 2]);
  });

  it("strips outputs, counts and execution timestamps, keeps the rest, adds ids", () => {
    const stripped = stripNotebook(executed);
    expect(cellsWithOutputs(stripped)).toEqual([]);
    expect(stripped.cells.map((c) => c.id)).toEqual(["cell-0", "a", "cell-2", "cell-3"]);
    expect(stripped.cells[1]!.metadata).toEqual({ tags: ["keep"] });
    expect(stripped.cells[0]).toEqual({ ...executed.cells[0], id: "cell-0" });
    expect(stripped.cells.map(cellSource)).toEqual(executed.cells.map(cellSource));
    expect(stripped.nbformat_minor).toBe(5);
    expect(stripNotebook(stripped)).toEqual(stripped);
    expect(serializeNotebook(stripped)).toBe(`${JSON.stringify(stripped, null, 1)}\n`);
  });

  it("counts figure outputs", () => {
    expect(figureOutputCount(executed)).toBe(2);
    expect(figureOutputCount(stripNotebook(executed))).toBe(0);
  });

  it("collects what a cell printed", () => {
    expect(cellOutputText(executed.cells[1]!)).toBe("1\nwarn\n");
    expect(cellOutputText(executed.cells[1]!, ["stderr"])).toBe("warn\n");
    expect(cellOutputText(executed.cells[2]!)).toBe("Error: boom\n  at x");
  });
});
