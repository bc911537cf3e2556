import type { HoldCode, Order } from "./actions/action-scheme.js";
import type { EnvModel } from "./core.js";

/**
 * A filter between the action scheme's order and the fill: the coach's guidance layer is one, a live risk
 * manager another. It sees the order and what the action scheme decided, never the env.
 */
export interface OrderFilter {
  /**
   * Called once per tick, after the action scheme (holds included, so a filter can count ticks). May shrink or
   * cancel `order` in place (zeroing both fields for a hold), never grow it or change its side. Returns the
   * tick's HoldCode: `code` when it lets the order through, else why the order became a hold.
   * `price` is the decision row's close, `row` the decision row.
   */
  filter(code: HoldCode, order: Order, cash: number, coins: number, price: number, row: number): HoldCode;
}

/** Filters applied in order, each on the previous one's result: put hard risk caps last so that they win. */
export function composeOrderFilters(...filters: readonly OrderFilter[]): OrderFilter {
  if (filters.length === 1) return filters[0]!;
  return {
    filter(code, order, cash, coins, price, row) {
      let c = code;
      for (const f of filters) c = f.filter(c, order, cash, coins, price, row);
      return c;
    },
  };
}

/** The same model with an order filter (the market, schemes and layout are shared, not copied). */
export function withOrderFilter(model: EnvModel, filter: OrderFilter | null): EnvModel {
  return { ...model, orderFilter: filter };
}
