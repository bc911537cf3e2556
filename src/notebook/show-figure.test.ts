import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lineFigure } from "../charts/series-figures.js";
import { checkHtmlRenders } from "../charts/render-check.js";
import { plotlyJsSource } from "../charts/plotly-embed.js";
import { figureBundle, figureSummary, showFigure } from "./show-figure.js";

const dir = mkdtempSync(join(tmpdir(), "show-figure-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fig = lineFigure([{ name: "a", y: [1, 2, 3] }, { name: "b", y: [3, 2] }], { title: "Two lines", xTitle: "step", yTitle: "value" });

describe("figureBundle", () => {
  it("carries plotly.js only when asked, and a one-line text summary", () => {
    const first = figureBundle(fig, "f1", true);
    const later = figureBundle(fig, "f2", false);
    expect(first["text/html"]).toContain(plotlyJsSource().slice(0, 2000));
    expect(later["text/html"]).not.toContain("plotly.js v");
    expect(later["text/html"]).toContain('id="f2" class="lab-figure"');
    expect(first["text/plain"]).toBe('Figure "Two lines" (2 traces: scatter; 5 points)');
    expect(figureSummary({ data: [], layout: {} })).toBe("Figure (0 traces: ; 0 points)");
  });

  it("draws in one page when only the first output carries plotly.js, as Jupyter front ends show them", async () => {
    // Outputs appended to a page like a notebook front end does; the second one must find window.Plotly.
    const outputs = [figureBundle(fig, "out-1", true), figureBundle(fig, "out-2", false)];
    const path = join(dir, "outputs.html");
    writeFileSync(
      path,
      `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\n` +
        outputs.map((o) => `<div class="output">${o["text/html"]}</div>`).join("\n") +
        "\n</body></html>\n",
    );
    const report = await checkHtmlRenders(path, { expectFigures: 2 });
    expect(report.problems).toEqual([]);
    expect(report.figures.map((f) => [f.id, f.drew, f.traces, f.points])).toEqual([
      ["out-1", true, 2, 5],
      ["out-2", true, 2, 5],
    ]);
  });

  it("tells the user outside a kernel instead of failing silently", () => {
    expect(() => showFigure(fig)).toThrow(/need a running tslab kernel/);
  });
});
