import { writeFileAtomic } from "../util/atomic-write.js";
import type { Figure } from "./figure.js";
import { figureHtml, plotlyScriptTag } from "./plotly-embed.js";

/** One block of a report page: a heading, some HTML, a figure, each optional, drawn in that order. */
export interface PageSection {
  /** Plain text (escaped). */
  readonly heading?: string;
  /** Trusted HTML inserted as is: escape anything user-supplied with escapeHtml. */
  readonly html?: string;
  readonly figure?: Figure;
}

export interface PageSpec {
  /** Plain text (escaped): the <title> and the top heading. */
  readonly title: string;
  /** Trusted HTML under the title. */
  readonly intro?: string;
  readonly sections: readonly PageSection[];
}

const CSS = `
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933; background: #fafbfc; }
  main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; }
  h1 { font-size: 1.6rem; margin: 0.5rem 0 1rem; }
  h2 { font-size: 1.2rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid #e4e7eb; padding-bottom: 0.3rem; }
  section { margin-bottom: 1.5rem; }
  .lab-figure { background: #fff; border: 1px solid #e4e7eb; border-radius: 4px; margin: 0.5rem 0; }
  table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid #e4e7eb; padding: 4px 10px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  th { background: #f0f2f5; }
  code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em; }
`;

const HTML_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe to put in HTML content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** A simple table: header cells and rows of cells (plain text, escaped; numbers printed as given). */
export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (tag: "th" | "td", v: string | number) => `<${tag}>${escapeHtml(String(v))}</${tag}>`;
  const head = `<tr>${header.map((h) => cell("th", h)).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v) => cell("td", v)).join("")}</tr>`).join("\n");
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * A self-contained HTML page: plotly.js inlined once in <head> (no network needed to open it), then each
 * section. Figures get ids figure-0, figure-1, … in page order.
 */
export function htmlPage(spec: PageSpec): string {
  let figureCount = 0;
  const sections = spec.sections.map((s) => {
    const parts: string[] = [];
    if (s.heading !== undefined) parts.push(`<h2>${escapeHtml(s.heading)}</h2>`);
    if (s.html !== undefined) parts.push(s.html);
    if (s.figure !== undefined) parts.push(figureHtml(s.figure, `figure-${figureCount++}`));
    return `<section>\n${parts.join("\n")}\n</section>`;
  });
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(spec.title)}</title>`,
    `<style>${CSS}</style>`,
    figureCount > 0 ? plotlyScriptTag() : "",
    "</head>",
    "<body>",
    "<main>",
    `<h1>${escapeHtml(spec.title)}</h1>`,
    spec.intro ?? "",
    ...sections,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** Writes htmlPage(spec) to `path` atomically (readers never see half a page). */
export function writeHtmlPage(path: string, spec: PageSpec): void {
  writeFileAtomic(path, htmlPage(spec));
}
