/** Helpers that notebooks import: rich outputs (figures, tables) for the tslab kernel. */
export type { MimeBundle, ShowFigureOptions } from "./show-figure.js";
export { escapeHtml, figureBundle, figureSummary, showBundle, showFigure, showHtml, showMarkdown, showTable } from "./show-figure.js";
