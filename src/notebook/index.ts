/** Helpers that notebooks import: rich outputs (figures, tables) for the tslab kernel. */
export type { FrameLike, MimeBundle, ShowDataFrameOptions, ShowFigureOptions } from "./show-figure.js";
export { escapeHtml, figureBundle, figureSummary, frameCell, showBundle, showDataFrame, showFigure, showHtml, showMarkdown, showTable } from "./show-figure.js";
export { ExerciseCheckError, answered, checkExercise, holds, near, within, type Check, type CheckOptions } from "./exercises.js";
