import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lineFigure } from "./series-figures.js";
import { escapeHtml, htmlPage, htmlTable, writeHtmlPage } from "./html-page.js";
import { figureHtml, plotlyJsSource, plotlyJsVersion, scriptSafeJson } from "./plotly-embed.js";

const dir = mkdtempSync(join(tmpdir(), "html-page-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fig = lineFigure([{ name: "s", y: [1, 2, 3] }], { title: "t" });
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

describe("htmlPage", () => {
  it("inlines plotly.js exactly once and references nothing outside the file", () => {
    const page = htmlPage({ title: "r", sections: [{ figure: fig }, { heading: "h", figure: fig }] });
    expect(count(page, plotlyJsSource())).toBe(1);
    expect(page).not.toMatch(/<script[^>]+src=/i);
    expect(page).not.toMatch(/<link[^>]+href=/i);
    expect(count(page, 'class="lab-figure"')).toBe(2);
    expect(page).toContain('id="figure-0"');
    expect(page).toContain('id="figure-1"');
  });

  it("leaves plotly.js out of a page without figures", () => {
    const page = htmlPage({ title: "r", sections: [{ html: "<p>text</p>" }] });
    expect(page).not.toContain("plotly.js");
    expect(page).toContain("<p>text</p>");
  });

  it("escapes the title and headings but not section html", () => {
    const page = htmlPage({ title: "<b>&</b>", sections: [{ heading: 'a"<', html: "<em>x</em>" }] });
    expect(page).toContain("<title>&lt;b&gt;&amp;&lt;/b&gt;</title>");
    expect(page).toContain("<h2>a&quot;&lt;</h2>");
    expect(page).toContain("<em>x</em>");
  });

  it("writes the page atomically (no temp file left behind)", () => {
    const path = join(dir, "sub", "page.html");
    writeHtmlPage(path, { title: "r", sections: [{ figure: fig }] });
    expect(readFileSync(path, "utf8")).toBe(htmlPage({ title: "r", sections: [{ figure: fig }] }));
    expect(readdirSync(join(dir, "sub"))).toEqual(["page.html"]);
  });
});

describe("script embedding", () => {
  it("keeps figure data from closing its <script>", () => {
    const evil = lineFigure([{ name: "</script><script>alert(1)</script>", y: [1] }]);
    const html = figureHtml(evil, "x");
    expect(count(html, "</script>")).toBe(1);
    expect(JSON.parse(scriptSafeJson({ s: "</script>\u2028" }))).toEqual({ s: "</script>\u2028" });
  });

  it("sanitises figure ids", () => {
    expect(figureHtml(fig, 'a b"c')).toContain('id="a_b_c"');
  });

  it("reads plotly.js from node_modules", () => {
    expect(plotlyJsVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(plotlyJsSource()).toContain(`plotly.js v${plotlyJsVersion()}`);
  });
});

describe("helpers", () => {
  it("escapeHtml and htmlTable", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(htmlTable(["k", "v"], [["a<", 1]])).toContain("<tr><td>a&lt;</td><td>1</td></tr>");
  });
});
