import type { EnvConfig } from "../config.js";
import type { ActionScheme } from "./action-scheme.js";
import { ContinuousExposure } from "./continuous-exposure.js";
import { ExposureLevels } from "./exposure-levels.js";
import type { RebalanceParams } from "./rebalance.js";
import { ReferenceActions } from "./reference-actions.js";
import { SideAndSize } from "./side-and-size.js";

export { HOLD_REASONS, HoldCode, Order, type ActionScheme, type HoldReason } from "./action-scheme.js";
export { ContinuousExposure } from "./continuous-exposure.js";
export { ExposureLevels } from "./exposure-levels.js";
export { rebalanceOrder, type RebalanceParams } from "./rebalance.js";
export { ReferenceActions, type ReferenceActionsParams } from "./reference-actions.js";
export { SideAndSize, type SideAndSizeParams } from "./side-and-size.js";

/** The action scheme a resolved config names. */
export function createActionScheme(config: EnvConfig): ActionScheme {
  const a = config.actions;
  if (a.kind === "reference") return new ReferenceActions(a);
  if (a.kind === "side_and_size") return new SideAndSize(a);
  const slip = config.fill.slippageBps / 10_000;
  const rebalance: RebalanceParams = {
    commission: config.commission,
    buyFactor: 1 + slip,
    sellFactor: 1 - slip,
    minTradeUsd: a.minTradeUsd,
  };
  if (a.kind === "exposure_levels") return new ExposureLevels(a.levels, rebalance);
  return new ContinuousExposure(rebalance);
}
