/**
 * The feature layer's public face: causal features of a candle series, the spec registry that names and
 * computes them, and the train-only normalisation whose stats a checkpoint saves. Formulas: docs/features.md.
 */
export * from "./feature-matrix.js";
export * from "./errors.js";
export * from "./pct-change.js";
export * from "./log-return.js";
export * from "./rolling.js";
export * from "./zscore.js";
export * from "./volatility.js";
export * from "./rsi.js";
export * from "./macd.js";
export * from "./bar-shape.js";
export * from "./calendar.js";
export * from "./registry.js";
export * from "./normalization.js";
export * from "./custom.js";
