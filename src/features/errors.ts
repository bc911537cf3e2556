/**
 * Errors of the feature layer, as data: `code` names the rule that broke, `field` the place (a spec's path
 * such as `specs[2].window`, a feature name, or `rows`), and the message says what was expected.
 */
export type FeatureErrorCode =
  /** A feature spec failed validation (unknown kind, bad window, fast ≥ slow…). */
  | "invalid_spec"
  /** Two specs produce a column with the same name (e.g. `rsi` twice with the same window). */
  | "duplicate_name"
  /** Normalisation stats were fitted on other features than the matrix holds (names or order differ). */
  | "names_mismatch"
  /** A row range that is empty, reversed or outside the matrix. */
  | "bad_rows"
  /** A NaN or ±Infinity where a finite feature value is required. */
  | "non_finite"
  /** Saved normalisation stats that do not have the expected shape (a corrupt or foreign checkpoint). */
  | "bad_stats"
  /** A custom feature whose value at row t changes when later rows are present (it reads the future). */
  | "look_ahead";

export class FeatureError extends Error {
  override readonly name = "FeatureError";
  readonly code: FeatureErrorCode;
  /** Where it broke: `specs[2].window`, a feature name, `rows`, `stats.mean[3]`… */
  readonly field: string;
  readonly expected: string;
  readonly got: string;

  constructor(code: FeatureErrorCode, field: string, expected: string, got: string) {
    super(`${field}: ${code}: expected ${expected}, got ${got}`);
    this.code = code;
    this.field = field;
    this.expected = expected;
    this.got = got;
  }
}
