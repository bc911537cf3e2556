import { EnvError } from "../errors.js";
import type { BoxSpace } from "../spaces.js";
import { type ActionScheme, type HoldCode, type Order } from "./action-scheme.js";
import { rebalanceOrder, type RebalanceParams } from "./rebalance.js";

/** A continuous target exposure: the action, clipped to [0, 1], is the target coin share of the value. */
export class ContinuousExposure implements ActionScheme {
  readonly name = "continuous_exposure";
  readonly discrete = false;
  readonly space: BoxSpace = {
    kind: "box",
    shape: [1],
    low: Float64Array.of(0),
    high: Float64Array.of(1),
    labels: ["target coin share of value"],
  };

  constructor(private readonly rebalance: RebalanceParams) {}

  decide(action: number, cash: number, coins: number, price: number, order: Order): HoldCode {
    // Clipping (not rejecting) out-of-range values is what a Gaussian policy needs; NaN is a bug upstream.
    if (Number.isNaN(action)) throw new EnvError("invalid_action", "expected a target share in [0, 1], got NaN", "action");
    const target = action < 0 ? 0 : action > 1 ? 1 : action;
    return rebalanceOrder(target, cash, coins, price, this.rebalance, order);
  }
}
