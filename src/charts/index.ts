/** Plotly figure builders (plain JSON) and self-contained offline HTML pages. */
export type { Figure, FigureOptions, Layout, Trace } from "./figure.js";
export type { VerticalMarker } from "./figure.js";
export { COLORS, baseLayout, toPlainArray, verticalMarkers, withLayout, withTraces } from "./figure.js";
export type { CandleFigureOptions } from "./candle-figures.js";
export { candlestickFigure, volumeFigure } from "./candle-figures.js";
export type { HistogramOptions, LineFigureOptions, LineSeries, MarkerPoints } from "./series-figures.js";
export {
  areaFigure,
  drawdownFigure,
  drawdownSeries,
  histogramFigure,
  lineFigure,
  markersTrace,
} from "./series-figures.js";
export { decimationIndices, resampleCandles } from "./downsample.js";
export type { PageSection, PageSpec } from "./html-page.js";
export { escapeHtml, htmlPage, htmlTable, writeHtmlPage } from "./html-page.js";
export { FIGURE_CLASS, figureHtml, plotlyJsVersion, plotlyScriptTag } from "./plotly-embed.js";
// The headless-Chromium check (checkHtmlRenders) lives in ./render-check.js and is not re-exported here: it
// loads playwright-core, a dev dependency that report-writing code must not need.
