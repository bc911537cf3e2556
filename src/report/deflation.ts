/**
 * How reports state the deflated statistics, in one place: the **deflated information ratio** (the agent's
 * hourly returns minus buy-and-hold's) answers "does the agent beat holding?" and is the headline; the
 * **deflated Sharpe ratio** of the agent's own returns answers "does it beat cash?" and credits the market's
 * own rise to whoever held coins through it. Definitions in docs/evaluation.md.
 */
import { escapeHtml, htmlTable } from "../charts/index.js";
import { HOURS_PER_YEAR } from "../eval/metrics.js";
import type { BestTrialDeflation } from "../eval/stats.js";

export interface DeflationPair {
  readonly informationRatio: BestTrialDeflation;
  readonly sharpe: BestTrialDeflation;
}

/** Above this a deflated ratio calls the edge real (Bailey & López de Prado's convention). */
export const DEFLATED_THRESHOLD = 0.95;

const annual = (perPeriod: number, periodsPerYear: number) => (Number.isFinite(perPeriod) ? (perPeriod * Math.sqrt(periodsPerYear)).toFixed(2) : "–");
const prob = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "–");

/** "real" / "not shown" for a deflated ratio. */
export function verdict(dsr: number): string {
  return Number.isFinite(dsr) && dsr >= DEFLATED_THRESHOLD ? "an edge" : "no edge shown";
}

/** The paragraph of a report window (trusted HTML). */
export function deflationHtml(d: DeflationPair, subject: string, periodsPerYear = HOURS_PER_YEAR): string {
  const ir = d.informationRatio;
  const sr = d.sharpe;
  const runs = ir.trials > 1 ? `best of ${ir.trials} runs: ${escapeHtml(ir.best)}` : escapeHtml(ir.best);
  return (
    `<p><b>Does ${escapeHtml(subject)} beat buy-and-hold?</b> Deflated information ratio (hourly returns of ${escapeHtml(subject)} minus buy-and-hold's; ${runs}): ` +
    `<b>${prob(ir.dsr)}</b>, ${verdict(ir.dsr)} (${DEFLATED_THRESHOLD} needed). Information ratio ${annual(ir.sharpe, periodsPerYear)} (annualised)` +
    `${ir.trials > 1 ? `, expected best of ${ir.trials} unskilled runs ${annual(ir.sr0, periodsPerYear)}` : ""}; probability it is above 0 before deflation ${prob(ir.psrVsZero)}.</p>` +
    `<p>Its own returns, for comparison: deflated Sharpe ratio ${prob(sr.dsr)} (Sharpe ${annual(sr.sharpe, periodsPerYear)}). ` +
    `This one answers "does it beat holding cash?": the market's own moves count as the agent's, so a rally credits whoever held coins through it.</p>`
  );
}

/** Console lines of the same. */
export function deflationText(d: DeflationPair, subject: string, periodsPerYear = HOURS_PER_YEAR): string {
  const ir = d.informationRatio;
  const sr = d.sharpe;
  const runs = ir.trials > 1 ? `best of ${ir.trials} runs: ${ir.best}` : ir.best;
  return (
    `does ${subject} beat buy-and-hold? deflated information ratio ${prob(ir.dsr)} (${runs}; IR ${annual(ir.sharpe, periodsPerYear)}; ${verdict(ir.dsr)}, ${DEFLATED_THRESHOLD} needed)\n` +
    `its own returns: deflated Sharpe ratio ${prob(sr.dsr)} (Sharpe ${annual(sr.sharpe, periodsPerYear)}; against cash, so the market's own moves count)`
  );
}

/** A table of several windows (e.g. the article's out-of-sample windows), the information ratio first. */
export function deflationTableHtml(rows: readonly { readonly label: string; readonly d: DeflationPair }[], periodsPerYear = HOURS_PER_YEAR): string {
  return htmlTable(
    ["window", "trials", "best by IR", "IR", "SR₀ of IR", "deflated IR (beats holding?)", "best by Sharpe", "Sharpe", "PSR vs 0", "deflated Sharpe (beats cash?)"],
    rows.map(({ label, d }) => [
      label,
      String(d.informationRatio.trials),
      d.informationRatio.best,
      annual(d.informationRatio.sharpe, periodsPerYear),
      annual(d.informationRatio.sr0, periodsPerYear),
      prob(d.informationRatio.dsr),
      d.sharpe.best,
      annual(d.sharpe.sharpe, periodsPerYear),
      prob(d.sharpe.psrVsZero),
      prob(d.sharpe.dsr),
    ]),
  );
}

/** JSON form (summary.json, --json). */
export function deflationJson(d: DeflationPair): Record<string, unknown> {
  const one = (x: BestTrialDeflation) => ({ best: x.best, trials: x.trials, perPeriod: x.sharpe, sr0: x.sr0, psrVsZero: x.psrVsZero, deflated: x.dsr });
  return { informationRatio: one(d.informationRatio), sharpe: one(d.sharpe) };
}
