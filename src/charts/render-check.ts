import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { FIGURE_CLASS } from "./plotly-embed.js";

/**
 * Opens an HTML file in headless Chromium (the system one, /usr/bin/chromium, no network) and reports, for every
 * figure container, whether plotly drew it and how much it drew. Used by the tests of reports and of exported
 * notebooks: "the file exists" is not evidence that anyone can read the charts.
 */

export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

export interface RenderCheckOptions {
  /** Number of figures the page must have; omitted: any number, but all must draw. */
  readonly expectFigures?: number;
  /** How long to wait for figures to draw, in ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Chromium binary (default $CHROMIUM_PATH or /usr/bin/chromium). */
  readonly executablePath?: string;
  /** Uncaught page errors matching one of these are tolerated (reported, not a problem). */
  readonly ignorePageErrors?: readonly RegExp[];
  /** A drawn figure with an axis (x, y, y2, …) that a trace uses but that has no title is a problem (default true). */
  readonly requireAxisTitles?: boolean;
}

export interface FigureFacts {
  /** Position among the page's figure containers (document order). */
  readonly index: number;
  readonly id: string;
  /** plotly drew into the container (its .main-svg exists). */
  readonly drew: boolean;
  /** Number of traces in the drawn figure (0 when it did not draw). */
  readonly traces: number;
  /** Data points over all traces (the longest of x, y, values per trace). */
  readonly points: number;
  readonly traceTypes: readonly string[];
  /** The container's text when it did not draw (e.g. the "needs plotly.js" notice). */
  readonly text: string;
  /** The figure's title ("" when it has none). */
  readonly title: string;
  /** Axes that some trace draws on but that have no title, e.g. ["xaxis", "yaxis2"]. */
  readonly untitledAxes: readonly string[];
}

export interface RenderReport {
  /** No problems: every figure drew, the count matched, no uncaught page error. */
  readonly ok: boolean;
  readonly path: string;
  readonly figures: readonly FigureFacts[];
  /** What is wrong, one sentence each. */
  readonly problems: readonly string[];
  readonly pageErrors: readonly string[];
  /** Requests to anything but file: and data: URLs, which were blocked (e.g. a template's CDN links). */
  readonly blockedRequests: readonly string[];
  readonly elapsedMs: number;
}

export type RenderCheckErrorCode = "CHROMIUM_MISSING" | "FILE_MISSING" | "PAGE_LOAD_FAILED";

export class RenderCheckError extends Error {
  override readonly name = "RenderCheckError";
  constructor(
    readonly code: RenderCheckErrorCode,
    /** The HTML file or the browser binary the error is about. */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

// Browser-side code is kept as source text: transpilers (tsx, vitest) may wrap functions with helpers such as
// esbuild's __name that do not exist in the page, so no Node function is ever serialised into it.

/** Evaluates, in the page, to FigureFacts[] for every figure container in document order. */
const COLLECT_FIGURE_FACTS = `(() => {
  const len = (v) => (Array.isArray(v) ? v.length : 0);
  const text = (t) => (t && typeof t === "object" ? t.text : t);
  // Titles come from the figure's own layout: plotly's full layout fills in "Click to enter …" placeholders.
  const untitled = (el) => {
    const fl = el._fullLayout;
    const ul = el.layout || {};
    if (!fl) return [];
    const used = new Set();
    for (const t of el._fullData || []) {
      if (t.visible === false) continue;
      if (typeof t.xaxis === "string") used.add("xaxis" + t.xaxis.slice(1));
      if (typeof t.yaxis === "string") used.add("yaxis" + t.yaxis.slice(1));
    }
    return Array.from(used).sort().filter((k) => {
      const ax = fl[k];
      if (!ax || ax.visible === false) return false;
      const title = text((ul[k] || {}).title);
      return !(typeof title === "string" && title.trim() !== "");
    });
  };
  return Array.from(document.querySelectorAll(".${FIGURE_CLASS}")).map((el, index) => {
    const traces = Array.isArray(el.data) ? el.data : [];
    const drew = el.querySelector(".main-svg") !== null;
    const title = drew && el.layout ? text(el.layout.title) : "";
    return {
      title: typeof title === "string" ? title : "",
      untitledAxes: drew ? untitled(el) : [],
      index,
      id: el.id,
      drew,
      traces: drew ? traces.length : 0,
      points: drew ? traces.reduce((sum, t) => sum + Math.max(len(t.x), len(t.y), len(t.values)), 0) : 0,
      traceTypes: traces.map((t) => String(t.type ?? "scatter")),
      text: drew ? "" : (el.textContent ?? "").trim().slice(0, 300),
    };
  });
})()`;

/** True once every figure container drew or gave up (a figure script writes a notice when it gives up). */
const FIGURES_SETTLED = `Array.from(document.querySelectorAll(".${FIGURE_CLASS}")).every(
  (el) => el.querySelector(".main-svg") !== null || (el.textContent ?? "").trim() !== "")`;

export async function checkHtmlRenders(path: string, opts: RenderCheckOptions = {}): Promise<RenderReport> {
  const started = performance.now();
  const file = resolve(path);
  const executablePath = opts.executablePath ?? process.env["CHROMIUM_PATH"] ?? DEFAULT_CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new RenderCheckError(
      "CHROMIUM_MISSING",
      executablePath,
      `headless render check needs Chromium at ${executablePath}: install it with \`apt-get install chromium\` ` +
        "(or run `bash scripts/setup-system.sh` as root), or point CHROMIUM_PATH at a Chromium binary",
    );
  }
  if (!existsSync(file)) throw new RenderCheckError("FILE_MISSING", file, `no HTML file at ${file}`);

  const userDataDir = mkdtempSync(join(tmpdir(), "render-check-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  const pageErrors: string[] = [];
  const blockedRequests: string[] = [];
  try {
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      blockedRequests.push(url);
      return route.abort("blockedbyclient");
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => pageErrors.push(err.message));
    const timeout = opts.timeoutMs ?? 30_000;
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout });
    } catch (err) {
      throw new RenderCheckError("PAGE_LOAD_FAILED", file, `Chromium could not load ${file}: ${String(err)}`);
    }
    const settled = await page
      .waitForFunction(FIGURES_SETTLED, undefined, { timeout, polling: 100 })
      .then(() => true)
      .catch(() => false);
    const figures = (await page.evaluate(COLLECT_FIGURE_FACTS)) as FigureFacts[];

    const problems: string[] = [];
    if (opts.expectFigures !== undefined && figures.length !== opts.expectFigures) {
      problems.push(`expected ${opts.expectFigures} figures, found ${figures.length}`);
    }
    if (!settled) problems.push(`figures still not drawn after ${timeout} ms`);
    for (const f of figures) {
      if (!f.drew) problems.push(`figure ${f.index} (#${f.id}) did not draw${f.text === "" ? "" : `: ${f.text}`}`);
      else if (f.points === 0) problems.push(`figure ${f.index} (#${f.id}) drew no data points`);
      if (f.drew && opts.requireAxisTitles !== false && f.untitledAxes.length > 0) {
        problems.push(`figure ${f.index} (#${f.id}${f.title === "" ? "" : `, "${f.title}"`}) has axes without a title: ${f.untitledAxes.join(", ")}`);
      }
    }
    const ignored = opts.ignorePageErrors ?? [];
    for (const e of pageErrors) {
      if (!ignored.some((re) => re.test(e))) problems.push(`uncaught page error: ${e}`);
    }
    return {
      ok: problems.length === 0,
      path: file,
      figures,
      problems,
      pageErrors,
      blockedRequests,
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
