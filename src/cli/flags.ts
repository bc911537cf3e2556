import { z } from "zod";
import { parseDate } from "../data/splits.js";

/**
 * Flags of a command: each one documented, with its default, parsed and validated once by a zod schema.
 * The raw value is what the parser saw (a string, a list of strings for repeatable flags, a boolean for
 * switches, or undefined when the flag was not given); the schema turns it into the typed value or fails
 * with the message shown after `invalid_flag at --name:`.
 */

export interface Flag<T> {
  readonly kind: "value" | "list" | "switch" | "off-switch";
  /** One line for --help. */
  readonly description: string;
  /** Placeholder of the value in --help ("N", "FILE", "DATE"). */
  readonly placeholder: string;
  /** What happens when the flag is not given, for --help: its default value, or the behaviour ("the embedded market"). */
  readonly defaultText: string;
  readonly schema: z.ZodType<T>;
  /** A one-letter alias ("h" → -h). */
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, Flag<unknown>>>;
export type FlagValues<S extends FlagSpecs> = { readonly [K in keyof S]: S[K] extends Flag<infer T> ? T : never };

/** When absent: a default value (the flag's type), or a text saying what happens (the value is then undefined). */
export interface Absent<D> {
  readonly default?: D;
  /** What happens when the flag is not given (shown as "default: …" in --help), when there is no default value. */
  readonly unset?: string;
  readonly placeholder?: string;
  readonly short?: string;
}

type Out<T, O> = O extends { default: T } ? T : T | undefined;

function valueFlag<T, O extends Absent<T>>(description: string, placeholder: string, parse: (raw: string, fail: (msg: string) => never) => T, opts: O, show: (v: T) => string = String): Flag<Out<T, O>> {
  const schema = z.unknown().transform((raw, ctx): Out<T, O> => {
    if (raw === undefined) return opts.default as Out<T, O>;
    if (typeof raw !== "string") {
      ctx.addIssue({ code: "custom", message: `expected a value (${placeholder}), got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    try {
      return parse(raw, (msg) => {
        throw new FlagIssue(msg);
      });
    } catch (err) {
      if (!(err instanceof FlagIssue)) throw err;
      ctx.addIssue({ code: "custom", message: err.message });
      return z.NEVER;
    }
  });
  return {
    kind: "value",
    description,
    placeholder: opts.placeholder ?? placeholder,
    defaultText: opts.default !== undefined ? show(opts.default) : (opts.unset ?? "none"),
    schema: schema as unknown as z.ZodType<Out<T, O>>,
    ...(opts.short === undefined ? {} : { short: opts.short }),
  };
}

class FlagIssue extends Error {}

const quote = (s: string) => JSON.stringify(s);

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  /** Strictly greater than. */
  readonly gt?: number;
}

function checkRange(n: number, r: NumberRange, raw: string, fail: (m: string) => never, what: string): number {
  if (r.min !== undefined && n < r.min) fail(`expected ${what} ≥ ${r.min}, got ${quote(raw)}`);
  if (r.gt !== undefined && !(n > r.gt)) fail(`expected ${what} > ${r.gt}, got ${quote(raw)}`);
  if (r.max !== undefined && n > r.max) fail(`expected ${what} ≤ ${r.max}, got ${quote(raw)}`);
  return n;
}

export const flag = {
  /** A text value; `pattern` restricts it (e.g. a folder name). */
  string<O extends Absent<string> & { readonly pattern?: RegExp; readonly patternText?: string }>(description: string, opts: O = {} as O): Flag<Out<string, O>> {
    return valueFlag(
      description,
      "TEXT",
      (raw, fail) => {
        if (opts.pattern !== undefined && !opts.pattern.test(raw)) fail(`expected ${opts.patternText ?? `text matching ${opts.pattern}`}, got ${quote(raw)}`);
        return raw;
      },
      opts,
    );
  },

  /** A path (any text but the empty string). */
  path<O extends Absent<string>>(description: string, opts: O = {} as O): Flag<Out<string, O>> {
    return valueFlag(description, "PATH", (raw, fail) => (raw.trim() === "" ? fail(`expected a path, got ${quote(raw)}`) : raw), opts);
  },

  /** A whole number (decimal digits; 1e6 and 1_000_000 are accepted). */
  int<O extends Absent<number> & NumberRange>(description: string, opts: O = {} as O): Flag<Out<number, O>> {
    return valueFlag(
      description,
      "N",
      (raw, fail) => {
        const n = Number(raw.replace(/_/g, ""));
        if (raw.trim() === "" || !Number.isSafeInteger(n)) fail(`expected an integer, got ${quote(raw)}`);
        return checkRange(n, opts, raw, fail, "an integer");
      },
      opts,
    );
  },

  /** A finite number. */
  number<O extends Absent<number> & NumberRange>(description: string, opts: O = {} as O): Flag<Out<number, O>> {
    return valueFlag(
      description,
      "X",
      (raw, fail) => {
        const n = Number(raw.replace(/_/g, ""));
        if (raw.trim() === "" || !Number.isFinite(n)) fail(`expected a number, got ${quote(raw)}`);
        return checkRange(n, opts, raw, fail, "a number");
      },
      opts,
    );
  },

  /** One of fixed choices. */
  choice<const V extends string, O extends Absent<V>>(values: readonly V[], description: string, opts: O = {} as O): Flag<Out<V, O>> {
    return valueFlag(
      description,
      values.join("|"),
      (raw, fail) => ((values as readonly string[]).includes(raw) ? (raw as V) : fail(`expected one of ${values.join(", ")}, got ${quote(raw)}`)),
      opts,
    );
  },

  /** A date or datetime, UTC ("2019-06-27", "2019-06-27T12:00", ms since 1970); kept as given, checked here. */
  date<O extends Absent<string>>(description: string, opts: O = {} as O): Flag<Out<string, O>> {
    return valueFlag(
      description,
      "DATE",
      (raw, fail) => {
        try {
          parseDate(/^\d+$/.test(raw) ? Number(raw) : raw);
        } catch (err) {
          const e = err as { expected?: string };
          fail(`bad_date: expected ${e.expected ?? "a date"}, got ${quote(raw)}`);
        }
        return raw;
      },
      opts,
    );
  },

  /** A JSON object (for config overrides). */
  json<O extends Absent<Record<string, unknown>>>(description: string, opts: O = {} as O): Flag<Out<Record<string, unknown>, O>> {
    return valueFlag(
      description,
      "JSON",
      (raw, fail) => {
        let v: unknown;
        try {
          v = JSON.parse(raw);
        } catch (err) {
          fail(`expected a JSON object, got ${quote(raw)} (${err instanceof Error ? err.message : String(err)})`);
        }
        if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`expected a JSON object, got ${quote(raw)}`);
        return v as Record<string, unknown>;
      },
      opts,
      (v) => JSON.stringify(v),
    );
  },

  /** A repeatable flag; each value may also be a comma-separated list. `item` checks each element. */
  list(description: string, opts: { readonly default?: readonly string[]; readonly unset?: string; readonly placeholder?: string; readonly item?: (s: string) => string | null } = {}): Flag<readonly string[]> {
    const schema = z.unknown().transform((raw, ctx): readonly string[] => {
      if (raw === undefined) return opts.default ?? [];
      const parts = (Array.isArray(raw) ? (raw as unknown[]) : [raw]).flatMap((s) => String(s).split(",")).map((s) => s.trim());
      for (const p of parts) {
        const problem = p === "" ? "an empty item" : (opts.item?.(p) ?? null);
        if (problem !== null) {
          ctx.addIssue({ code: "custom", message: `${problem} in ${quote(parts.join(","))}` });
          return z.NEVER;
        }
      }
      return parts;
    });
    return { kind: "list", description, placeholder: opts.placeholder ?? "LIST", defaultText: opts.default !== undefined ? opts.default.join(",") : (opts.unset ?? "none"), schema };
  },

  /** An on/off switch, off unless given. */
  switch(description: string, opts: { readonly short?: string } = {}): Flag<boolean> {
    return { kind: "switch", description, placeholder: "", defaultText: "off", schema: z.unknown().transform((raw) => raw === true), ...(opts.short === undefined ? {} : { short: opts.short }) };
  },

  /** On unless `--no-<name>` is given (the flag's key is the positive name: `report` → `--no-report`). */
  offSwitch(description: string): Flag<boolean> {
    return { kind: "off-switch", description, placeholder: "", defaultText: "on", schema: z.unknown().transform((raw) => raw !== false) };
  },

  /** Any zod schema over the raw string (for values the builders above do not cover). */
  custom<T>(schema: z.ZodType<T>, description: string, opts: { readonly placeholder: string; readonly defaultText: string }): Flag<T> {
    return { kind: "value", description, placeholder: opts.placeholder, defaultText: opts.defaultText, schema };
  },
};

/** A flag key as it is typed: `trainStart` → `train-start`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The --force flag every command that writes checkpoints or reports has. */
export const forceFlag = (): Flag<boolean> =>
  flag.switch("replace the project's own checkpoint/report/results at the output paths (never anything else) and say what was replaced");
