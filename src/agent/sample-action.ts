/**
 * Draws an action from row `row` of a log-probability matrix (`actionCount` columns) by inverting the cumulative
 * distribution with the uniform `u` in [0, 1). The last action takes any rounding remainder, so the result is
 * always a valid index. Shared by the training rollout and the rollout benchmark so both sample identically.
 */
export function sampleFromLogProbs(logProbs: Float64Array, row: number, actionCount: number, u: number): number {
  let rest = u;
  const base = row * actionCount;
  for (let j = 0; j < actionCount; j++) {
    rest -= Math.exp(logProbs[base + j]!);
    if (rest < 0) return j;
  }
  return actionCount - 1;
}
