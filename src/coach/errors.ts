/** Errors of the coach, as data: a code and the place (file, rule, field, flag) that broke. */
export type CoachErrorCode =
  /** A rules or chunks file that does not parse or breaks a rule of its schema. */
  | "invalid_rules"
  /** An `--llm provider:model` that cannot be used (unknown provider, package not installed, bad form). */
  | "invalid_llm"
  /** The coach's configuration (flags, config object). */
  | "invalid_config"
  /** Redis unreachable, or refusing the coach. */
  | "bus_unavailable";

export interface CoachErrorPlace {
  readonly file?: string;
  /** e.g. `rules[2] (id "high-vol")`. */
  readonly rule?: string;
  /** The field inside the rule or file, e.g. `when[0].fact`. */
  readonly field?: string;
}

export class CoachError extends Error {
  override readonly name = "CoachError";
  constructor(
    readonly code: CoachErrorCode,
    readonly detail: string,
    readonly place: CoachErrorPlace = {},
  ) {
    const where = [place.file, place.rule, place.field].filter((x) => x !== undefined && x !== "").join(": ");
    super(where === "" ? `${code}: ${detail}` : `${code} at ${where}: ${detail}`);
  }
  /** The field in the `command: code at field: message` form of the CLI. */
  get field(): string {
    return [this.place.file, this.place.rule, this.place.field].filter((x) => x !== undefined && x !== "").join(": ");
  }
}
