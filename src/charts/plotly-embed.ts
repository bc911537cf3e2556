import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Figure } from "./figure.js";
import { DEFAULT_HEIGHT } from "./figure.js";

/**
 * The HTML pieces that draw a figure offline: plotly.js inlined from node_modules/plotly.js-dist-min (never a
 * CDN), and a per-figure <div> + <script>. Shared by HTML reports (html-page.ts) and notebook outputs
 * (src/notebook/show-figure.ts) so both draw the same way.
 */

/** The class of every figure container; plotly adds "js-plotly-plot" once it has drawn into it. */
export const FIGURE_CLASS = "lab-figure";

let plotlySource: string | undefined;

/** plotly.min.js from node_modules (read once, ~4.8 MB). */
export function plotlyJsSource(): string {
  if (plotlySource === undefined) {
    const path = createRequire(import.meta.url).resolve("plotly.js-dist-min/plotly.min.js");
    plotlySource = readFileSync(path, "utf8");
  }
  return plotlySource;
}

/** Version of the inlined plotly.js, from its package.json. */
export function plotlyJsVersion(): string {
  const pkg: unknown = createRequire(import.meta.url)("plotly.js-dist-min/package.json");
  const version = typeof pkg === "object" && pkg !== null ? (pkg as Record<string, unknown>)["version"] : undefined;
  return typeof version === "string" ? version : "unknown";
}

/**
 * A <script> defining window.Plotly, unless the page already has it (so inlining twice costs bytes, not a
 * second copy in memory). `module`/`exports`/`define` are shadowed so that a page with a CommonJS or AMD
 * loader (Jupyter front ends, nbconvert templates) still gets the global.
 */
export function plotlyScriptTag(): string {
  const src = plotlyJsSource().replace(/<\/(script)/gi, "<\\/$1");
  return (
    `<script>/* plotly.js ${plotlyJsVersion()} (MIT), inlined for offline use */\n` +
    `if (!window.Plotly) { (function (module, exports, define) {\n${src}\n}).call(window); }\n</script>`
  );
}

/** JSON that is safe inside a <script> element (no "</script>", no raw line separators). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Milliseconds a figure script waits for plotly.js and for its container to be in the document. */
export const DRAW_WAIT_MS = 15_000;

/**
 * A figure container and the script that draws into it. The script waits (polling every 50 ms, up to
 * DRAW_WAIT_MS) until window.Plotly exists and the container is attached: Jupyter front ends may run output
 * scripts before inserting the output, and plotly.js may arrive in an earlier output. If it never comes, the
 * container says why instead of staying blank.
 */
export function figureHtml(fig: Figure, id: string): string {
  const height = typeof fig.layout["height"] === "number" ? fig.layout["height"] : DEFAULT_HEIGHT;
  const safeId = id.replace(/[^A-Za-z0-9_-]/g, "_");
  return (
    `<div id="${safeId}" class="${FIGURE_CLASS}" style="width:100%;min-height:${height}px"></div>\n` +
    `<script>(function () {\n` +
    `  var id = ${JSON.stringify(safeId)}, fig = ${scriptSafeJson(fig)}, waited = 0;\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(id);\n` +
    `    if (window.Plotly && el && el.isConnected) {\n` +
    `      window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });\n` +
    `      return;\n` +
    `    }\n` +
    `    waited += 50;\n` +
    `    if (waited < ${DRAW_WAIT_MS}) { setTimeout(draw, 50); return; }\n` +
    `    if (el) el.textContent = "This figure needs plotly.js, which this page does not have: run the notebook from the top " +\n` +
    `      "(the first figure of a kernel session carries plotly.js) or call showFigure(fig, { inlinePlotly: true }).";\n` +
    `  }\n` +
    `  draw();\n` +
    `})();</script>`
  );
}
