/**
 * Units in the types: cash, coin amounts and prices are plain numbers at run time but distinct types at
 * compile time, so that `cash + coins` or passing a price where a cash amount is expected does not compile.
 * Hot loops work on untyped Float64Arrays; the brands live at the scalar edge (config, info, reports).
 */

declare const unit: unique symbol;

/** An amount of quote currency (USD). */
export type Usd = number & { readonly [unit]: "USD" };
/** An amount of the base asset (coins, e.g. BTC). */
export type Coins = number & { readonly [unit]: "coins" };
/** A price: USD per coin. */
export type Price = number & { readonly [unit]: "USD/coin" };

export const usd = (x: number): Usd => x as Usd;
export const coins = (x: number): Coins => x as Coins;
export const price = (x: number): Price => x as Price;

/** The value of `amount` coins at `p`: the one sanctioned way to turn coins into USD. */
export const valueOf = (amount: Coins, p: Price): Usd => (amount * p) as Usd;
