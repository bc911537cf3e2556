import { EnvError } from "../errors.js";
import type { DiscreteSpace } from "../spaces.js";
import { type ActionScheme, type HoldCode, type Order } from "./action-scheme.js";
import { rebalanceOrder, type RebalanceParams } from "./rebalance.js";

/** Discrete target exposures: action k rebalances so that the coins are `levels[k]` of the portfolio value. */
export class ExposureLevels implements ActionScheme {
  readonly name = "exposure_levels";
  readonly discrete = true;
  readonly space: DiscreteSpace;
  private readonly levels: Float64Array;

  constructor(
    levels: readonly number[],
    private readonly rebalance: RebalanceParams,
  ) {
    this.levels = Float64Array.from(levels);
    this.space = {
      kind: "discrete",
      n: levels.length,
      labels: levels.map((l) => `${+(l * 100).toPrecision(12)}% in coins`),
    };
  }

  decide(action: number, cash: number, coins: number, price: number, order: Order): HoldCode {
    if (!(action >>> 0 === action && action < this.levels.length)) {
      throw new EnvError("invalid_action", `expected an integer level index in [0, ${this.levels.length}), got ${action}`, "action");
    }
    return rebalanceOrder(this.levels[action]!, cash, coins, price, this.rebalance, order);
  }
}
