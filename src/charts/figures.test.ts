import { describe, expect, it } from "vitest";
import { candlestickFigure, volumeFigure } from "./candle-figures.js";
import { COLORS, verticalMarkers, withLayout, withTraces } from "./figure.js";
import { areaFigure, drawdownFigure, drawdownSeries, histogramFigure, lineFigure, markersTrace } from "./series-figures.js";
import { randomWalkCandles } from "./test-candles.js";

/** A figure must survive JSON unchanged: no typed arrays (which JSON turns into objects), no functions. */
function expectPlainJson(value: unknown): void {
  expect(JSON.parse(JSON.stringify(value))).toEqual(value);
}

describe("candlestickFigure", () => {
  it("draws every bar of a short series as plain JSON arrays", () => {
    const c = randomWalkCandles(50);
    const fig = candlestickFigure(c, { title: "t" });
    expectPlainJson(fig);
    const trace = fig.data[0]!;
    expect(trace.type).toBe("candlestick");
    expect(trace["x"]).toEqual(Array.from(c.timestamp));
    expect(trace["open"]).toEqual(Array.from(c.open));
    expect(trace["close"]).toEqual(Array.from(c.close));
    expect(fig.layout["title"]).toEqual({ text: "t", x: 0.01, xanchor: "left", y: 0.985, yanchor: "top" });
    expect((fig.layout["xaxis"] as Record<string, unknown>)["type"]).toBe("date");
    // Every axis has a title with its unit: time on a date axis, the quote currency on the price axis.
    expect(fig.layout["xaxis"]).toMatchObject({ title: { text: "time (UTC)" } });
    expect(fig.layout["yaxis"]).toMatchObject({ title: { text: "price (USD)" } });
  });

  it("merges bars beyond maxBars and says so in the title", () => {
    const fig = candlestickFigure(randomWalkCandles(100), { title: "BTC", maxBars: 30 });
    expect((fig.data[0]!["x"] as number[]).length).toBe(25); // k = ceil(100 / 30) = 4
    expect((fig.layout["title"] as { text: string }).text).toBe("BTC (100 bars shown as 25, 4 merged per bar)");
  });

  it("adds a volume strip on a second y axis", () => {
    const fig = candlestickFigure(randomWalkCandles(20), { withVolume: true, logPrice: true });
    expect(fig.data.map((t) => t.type)).toEqual(["candlestick", "bar"]);
    expect(fig.data[1]!["yaxis"]).toBe("y2");
    expect(fig.layout["yaxis2"]).toMatchObject({ domain: [0, 0.2] });
    expect(fig.layout["yaxis"]).toMatchObject({ type: "log", domain: [0.26, 1] });
  });
});

describe("volumeFigure", () => {
  it("colours each bar by the candle's direction", () => {
    const c = randomWalkCandles(30);
    const fig = volumeFigure(c);
    const colors = (fig.data[0]!["marker"] as { color: string[] }).color;
    for (let i = 0; i < c.length; i++) expect(colors[i]).toBe(c.close[i]! >= c.open[i]! ? COLORS.up : COLORS.down);
    expect(fig.data[0]!["y"]).toEqual(Array.from(c.volume));
  });
});

describe("lineFigure / areaFigure", () => {
  it("draws named series; date axis when every series has x, linear otherwise", () => {
    const x = [0, 3_600_000, 7_200_000];
    const dated = lineFigure([{ name: "a", x, y: new Float64Array([1, 2, 3]) }, { name: "b", x, y: [3, 2, 1], dash: "dot" }]);
    expectPlainJson(dated);
    expect(dated.data.map((t) => t.name)).toEqual(["a", "b"]);
    expect(dated.data[0]!["y"]).toEqual([1, 2, 3]);
    expect((dated.layout["xaxis"] as Record<string, unknown>)["type"]).toBe("date");
    const indexed = lineFigure([{ name: "c", y: [5, 6] }]);
    expect(indexed.data[0]!["x"]).toEqual([0, 1]);
    expect((indexed.layout["xaxis"] as Record<string, unknown>)["type"]).toBe("linear");
  });

  it("puts rightAxis series on y2 and fills areas", () => {
    const fig = lineFigure([{ name: "a", y: [1] }, { name: "b", y: [2], rightAxis: true }], { y2Title: "right" });
    expect(fig.data[1]!["yaxis"]).toBe("y2");
    expect(fig.layout["yaxis2"]).toMatchObject({ overlaying: "y", side: "right", title: { text: "right" } });
    expect(areaFigure([{ name: "a", y: [1, 2] }]).data[0]!["fill"]).toBe("tozeroy");
  });

  it("rejects x and y of different lengths", () => {
    expect(() => lineFigure([{ name: "bad", x: [1, 2], y: [1] }])).toThrow(/x has 2 values but y has 1/);
  });

  it("decimates long series to about maxPoints", () => {
    const y = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50));
    const n = (lineFigure([{ name: "s", y }], { maxPoints: 400 }).data[0]!["y"] as number[]).length;
    expect(n).toBeLessThanOrEqual(400);
    expect(n).toBeGreaterThan(100);
  });
});

describe("drawdown", () => {
  it("is value / running peak − 1 (hand-worked)", () => {
    expect(Array.from(drawdownSeries([100, 120, 90, 130, 65]))).toEqual([0, 0, -0.25, 0, -0.5]);
  });

  it("is drawn in percent, the first curve filled and the others as dashed lines", () => {
    const fig = drawdownFigure([
      { name: "agent", value: [100, 50, 100] },
      { name: "buy_and_hold", value: [100, 90, 80] },
      { name: "ma", value: [100, 100, 99] },
    ]);
    expect(fig.data[0]!["y"]).toEqual([0, -50, 0]);
    expect(fig.data.map((t) => [t["fill"] ?? null, (t["line"] as { dash?: string }).dash ?? null])).toEqual([
      ["tozeroy", null],
      [null, "dot"],
      [null, "dash"],
    ]);
    expect((fig.layout["yaxis"] as { title: { text: string } }).title.text).toBe("drawdown (%)");
  });
});

describe("markers, histograms, layout helpers", () => {
  it("styles buy and sell markers and checks lengths", () => {
    const buy = markersTrace({ name: "buy", kind: "buy", x: [1, 2], y: [10, 11], text: ["a", "b"] });
    expect(buy).toMatchObject({ mode: "markers", marker: { symbol: "triangle-up", color: COLORS.buy }, text: ["a", "b"] });
    expect(markersTrace({ name: "sell", kind: "sell", x: [1], y: [2] })["marker"]).toMatchObject({ symbol: "triangle-down" });
    expect(() => markersTrace({ name: "bad", x: [1], y: [] })).toThrow(RangeError);
  });

  it("overlays histograms, optionally as densities, on shared bins", () => {
    const fig = histogramFigure([{ name: "a", values: [1, 2] }, { name: "b", values: new Float64Array([3]) }], { density: true, bins: 10, centralShare: 1 });
    expect(fig.data.map((t) => [t.type, t["histnorm"], t["xbins"]])).toEqual([
      ["histogram", "probability density", { start: 1, end: 3, size: 0.2 }],
      ["histogram", "probability density", { start: 1, end: 3, size: 0.2 }],
    ]);
    expect(fig.layout["barmode"]).toBe("overlay");
  });

  it("keeps a histogram's range on the bulk of the values and says how many lie beyond", () => {
    // 1000 values 0 … 999/1000 and two far outliers: the central 99 % runs from the 0.5 % to the 99.5 % quantile.
    const values = [...Array.from({ length: 1000 }, (_, i) => i / 1000), 50, -40];
    const fig = histogramFigure([{ name: "x", values }], { title: "t", xTitle: "x", bins: 10 });
    const range = (fig.layout["xaxis"] as { range: number[] }).range;
    expect(range[0]).toBeGreaterThanOrEqual(0);
    expect(range[1]).toBeLessThan(1);
    expect((fig.layout["title"] as { text: string }).text).toMatch(/^t \(central 99 % shown: \d+ of 1002 values lie beyond\)$/);
  });

  it("makes room above the plot for a legend of several rows, so it never covers the title", () => {
    const few = lineFigure([{ name: "a", y: [1] }, { name: "b", y: [2] }], { title: "t" });
    const many = lineFigure(
      Array.from({ length: 14 }, (_, i) => ({ name: `a fairly long series name ${i}`, y: [i] })),
      { title: "t" },
    );
    const top = (f: typeof few) => (f.layout["margin"] as { t: number }).t;
    expect(top(many)).toBeGreaterThan(top(few) + 40);
  });

  it("titles a right-hand axis clear of its tick labels", () => {
    const fig = lineFigure([{ name: "a", y: [1] }, { name: "b", y: [2], rightAxis: true }], { y2Title: "right" });
    expect(fig.layout["yaxis2"]).toMatchObject({ automargin: true, title: { text: "right", standoff: 12 } });
  });

  it("adds traces and merges layout one level deep without touching the input", () => {
    const base = lineFigure([{ name: "a", y: [1, 2] }], { yTitle: "left" });
    const marked = withTraces(base, markersTrace({ name: "m", x: [0], y: [1] }));
    expect(marked.data).toHaveLength(2);
    expect(base.data).toHaveLength(1);
    const patched = withLayout(base, { yaxis: { type: "log" }, ...verticalMarkers([{ x: 5, label: "split" }]) });
    expect(patched.layout["yaxis"]).toMatchObject({ type: "log", title: { text: "left" } });
    expect(patched.layout["shapes"]).toHaveLength(1);
    expect(patched.layout["annotations"]).toMatchObject([{ x: 5, text: "split" }]);
    expect((base.layout["yaxis"] as Record<string, unknown>)["type"]).toBeUndefined();
  });
});
