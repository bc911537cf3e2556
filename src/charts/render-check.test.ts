import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { candlestickFigure } from "./candle-figures.js";
import { withTraces } from "./figure.js";
import { htmlPage, writeHtmlPage } from "./html-page.js";
import { RenderCheckError, checkHtmlRenders } from "./render-check.js";
import { histogramFigure, lineFigure, markersTrace } from "./series-figures.js";
import { randomWalkCandles } from "./test-candles.js";

// Headless Chromium (/usr/bin/chromium, installed by scripts/setup-system.sh): these tests fail, with the
// install command in the message, when it is missing.

const dir = mkdtempSync(join(tmpdir(), "render-check-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkHtmlRenders", () => {
  it("reports every figure of a generated report as drawn, with its traces and points", async () => {
    const c = randomWalkCandles(300);
    const path = join(dir, "report.html");
    writeHtmlPage(path, {
      title: "Render check",
      sections: [
        {
          heading: "Price",
          figure: withTraces(
            candlestickFigure(c, { withVolume: true }),
            markersTrace({ name: "buy", kind: "buy", x: [c.timestamp[5]!, c.timestamp[9]!], y: [c.low[5]!, c.low[9]!] }),
          ),
        },
        { heading: "Close", figure: lineFigure([{ name: "close", x: c.timestamp, y: c.close }], { yTitle: "USD" }) },
        { figure: histogramFigure([{ name: "volume", values: c.volume }], { xTitle: "volume (coins)", centralShare: 1 }) },
      ],
    });
    const report = await checkHtmlRenders(path, { expectFigures: 3 });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.blockedRequests).toEqual([]);
    expect(report.figures.map((f) => [f.drew, f.traces, f.points, f.traceTypes])).toEqual([
      [true, 3, 300 + 300 + 2, ["candlestick", "bar", "scatter"]],
      [true, 1, 300, ["scatter"]],
      [true, 1, 300, ["histogram"]],
    ]);
  });

  it("finds figures that did not draw, a wrong count, page errors and network requests", async () => {
    const path = join(dir, "broken.html");
    const page = htmlPage({ title: "broken", sections: [{ figure: lineFigure([{ name: "a", y: [1, 2] }], { xTitle: "step", yTitle: "value" }) }] }).replace(
      "</main>",
      '<div class="lab-figure" id="never">plotly never drew here</div>\n' +
        '<img src="https://example.invalid/x.png">\n' +
        '<script>throw new Error("boom")</script>\n</main>',
    );
    writeFileSync(path, page);
    const report = await checkHtmlRenders(path, { expectFigures: 3 });
    expect(report.ok).toBe(false);
    expect(report.figures.map((f) => f.drew)).toEqual([true, false]);
    expect(report.problems).toEqual([
      "expected 3 figures, found 2",
      "figure 1 (#never) did not draw: plotly never drew here",
      expect.stringMatching(/^uncaught page error: .*boom/),
    ]);
    expect(report.blockedRequests).toEqual(["https://example.invalid/x.png"]);

    const tolerant = await checkHtmlRenders(path, { ignorePageErrors: [/boom/] });
    expect(tolerant.problems).toEqual(["figure 1 (#never) did not draw: plotly never drew here"]);
  });

  it("fails a figure with an axis that has no title, naming the figure and the axes", async () => {
    const path = join(dir, "untitled.html");
    writeHtmlPage(path, {
      title: "untitled",
      sections: [
        { figure: lineFigure([{ name: "a", y: [1, 2] }, { name: "b", y: [2, 1], rightAxis: true }], { title: "no axis titles" }) },
        { figure: lineFigure([{ name: "a", y: [1, 2] }], { xTitle: "step", yTitle: "value" }) },
      ],
    });
    const report = await checkHtmlRenders(path);
    expect(report.figures.map((f) => f.untitledAxes)).toEqual([["xaxis", "yaxis", "yaxis2"], []]);
    expect(report.problems).toEqual(['figure 0 (#figure-0, "no axis titles") has axes without a title: xaxis, yaxis, yaxis2']);
    expect((await checkHtmlRenders(path, { requireAxisTitles: false })).problems).toEqual([]);
  });

  it("says what to install when Chromium is missing, and rejects a missing file", async () => {
    await expect(checkHtmlRenders(join(dir, "report.html"), { executablePath: "/nonexistent/chromium" })).rejects.toMatchObject({
      code: "CHROMIUM_MISSING",
      message: expect.stringContaining("apt-get install chromium"),
    });
    await expect(checkHtmlRenders(join(dir, "nope.html"))).rejects.toBeInstanceOf(RenderCheckError);
  });
});
