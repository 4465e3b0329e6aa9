// A small typed schema for service config: each field knows its default, its documentation and how to read
// a raw YAML/env/CLI value, so validation can name every bad key with what is wrong with it.
import { parseDuration, formatDuration } from "./duration.js";
import { parseSize } from "./size.js";

export interface ConfigProblem {
  /** Dotted key path, e.g. "grpc.rqd_port". */
  key: string;
  message: string;
}

/** Thrown by a field reader; the message says what is wrong with the value. */
class BadValue extends Error {}

export interface Field<T> {
  readonly kind: "field";
  readonly doc: string;
  /** Human-readable type, for --help and docs. */
  readonly type: string;
  readonly default: T;
  read(raw: unknown, key: string, problems: ConfigProblem[], warnings: ConfigProblem[]): T;
  /** Plain, YAML-printable form of a value (durations back to "5s"). */
  show(value: T): unknown;
}

export interface Section<S extends SchemaShape> {
  readonly kind: "section";
  readonly doc: string;
  readonly fields: S;
}

export type SchemaShape = { readonly [key: string]: Field<unknown> | Section<SchemaShape> };
export type Infer<S extends SchemaShape> = {
  -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : S[K] extends Section<infer X> ? Infer<X> : never;
};

const describe = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

function leaf<T>(type: string, def: T, doc: string, parse: (raw: unknown) => T, show: (v: T) => unknown = (v) => v): Field<T> {
  return {
    kind: "field", doc, type, default: def, show,
    read(raw, key, problems) {
      if (raw === undefined) return def;
      try {
        return parse(raw);
      } catch (e) {
        problems.push({ key, message: e instanceof BadValue || e instanceof Error ? e.message : String(e) });
        return def;
      }
    },
  };
}

const asText = (raw: unknown, what: string): string => {
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  throw new BadValue(`expected ${what}, got ${describe(raw)}`);
};

function readInt(raw: unknown, min: number, max: number): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new BadValue(`expected an integer from ${min} to ${max}, got ${describe(raw)}`);
  return n;
}

function readNumber(raw: unknown, min: number, max: number): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw new BadValue(`expected a number from ${min} to ${max}, got ${describe(raw)}`);
  return n;
}

function readBool(raw: unknown): boolean {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string") {
    const t = raw.trim().toLowerCase();
    if (["true", "yes", "on", "1"].includes(t)) return true;
    if (["false", "no", "off", "0"].includes(t)) return false;
  }
  if (raw === 1 || raw === 0) return raw === 1;
  throw new BadValue(`expected true or false, got ${describe(raw)}`);
}

function readStringList(raw: unknown): string[] {
  // The Rust services accept either a YAML list or one comma-separated string (handy in env vars).
  if (typeof raw === "string") return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (Array.isArray(raw)) {
    return raw.map((item, i) => {
      if (typeof item === "string" || typeof item === "number") return String(item);
      throw new BadValue(`item ${i}: expected a string, got ${describe(item)}`);
    });
  }
  throw new BadValue(`expected a list of strings or a comma-separated string, got ${describe(raw)}`);
}

export const field = {
  string(def: string, doc: string, opts: { choices?: readonly string[]; nonEmpty?: boolean } = {}): Field<string> {
    return leaf(opts.choices ? opts.choices.join(" | ") : "string", def, doc, (raw) => {
      const s = asText(raw, "a string");
      if (opts.choices && !opts.choices.includes(s)) throw new BadValue(`expected one of ${opts.choices.join(", ")}, got ${describe(raw)}`);
      if (opts.nonEmpty && s.trim() === "") throw new BadValue("must not be empty");
      return s;
    });
  },
  optionalString(doc: string): Field<string | null> {
    return leaf<string | null>("string (optional)", null, doc, (raw) => (raw === null ? null : asText(raw, "a string")));
  },
  int(def: number, doc: string, opts: { min?: number; max?: number } = {}): Field<number> {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER, max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return leaf("integer", def, doc, (raw) => readInt(raw, min, max));
  },
  optionalInt(doc: string, opts: { min?: number; max?: number } = {}): Field<number | null> {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER, max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return leaf<number | null>("integer (optional)", null, doc, (raw) => (raw === null ? null : readInt(raw, min, max)));
  },
  number(def: number, doc: string, opts: { min?: number; max?: number } = {}): Field<number> {
    return leaf("number", def, doc, (raw) => readNumber(raw, opts.min ?? -Infinity, opts.max ?? Infinity));
  },
  bool(def: boolean, doc: string): Field<boolean> {
    return leaf("boolean", def, doc, readBool);
  },
  /** Milliseconds; written as "5s", "2m", "250ms". */
  duration(def: string, doc: string): Field<number> {
    return leaf("duration", parseDuration(def), doc, (raw) => {
      try { return parseDuration(typeof raw === "number" ? raw : asText(raw, "a duration")); } catch (e) { throw new BadValue((e as Error).message); }
    }, formatDuration);
  },
  /** Bytes; written as "512MiB", "2GB" or a number of bytes. */
  optionalSize(doc: string): Field<number | null> {
    return leaf<number | null>("size (optional)", null, doc, (raw) => {
      if (raw === null) return null;
      try { return parseSize(typeof raw === "number" ? raw : asText(raw, "a size")); } catch (e) { throw new BadValue((e as Error).message); }
    });
  },
  size(def: string, doc: string): Field<number> {
    return leaf("size", parseSize(def), doc, (raw) => {
      try { return parseSize(typeof raw === "number" ? raw : asText(raw, "a size")); } catch (e) { throw new BadValue((e as Error).message); }
    });
  },
  stringList(def: readonly string[], doc: string): Field<string[]> {
    return leaf("list of strings", [...def], doc, readStringList);
  },
  stringMap(doc: string): Field<Record<string, string>> {
    return leaf<Record<string, string>>("map of strings", {}, doc, (raw) => {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new BadValue(`expected a map, got ${describe(raw)}`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) out[k] = asText(v, `a string for "${k}"`);
      return out;
    });
  },
  /** A list of objects, each validated against `item`; problems are reported as key[i].field. */
  list<S extends SchemaShape>(item: S, doc: string): Field<Infer<S>[]> {
    return {
      kind: "field", doc, type: "list", default: [],
      read(raw, key, problems, warnings) {
        if (raw === undefined || raw === null) return [];
        if (!Array.isArray(raw)) {
          problems.push({ key, message: `expected a list, got ${describe(raw)}` });
          return [];
        }
        return raw.map((entry, i) => readShape(item, entry, `${key}[${i}]`, problems, warnings, true));
      },
      show: (v) => v.map((entry) => showShape(item, entry)),
    };
  },
  /** An optional object (absent means null). */
  optionalSection<S extends SchemaShape>(fields: S, doc: string): Field<Infer<S> | null> {
    return {
      kind: "field", doc, type: "section (optional)", default: null,
      read(raw, key, problems, warnings) {
        if (raw === undefined || raw === null) return null;
        return readShape(fields, raw, key, problems, warnings, false);
      },
      show: (v) => (v === null ? null : showShape(fields, v)),
    };
  },
};

export function section<S extends SchemaShape>(doc: string, fields: S): Section<S> {
  return { kind: "section", doc, fields };
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function readShape<S extends SchemaShape>(shape: S, raw: unknown, prefix: string, problems: ConfigProblem[], warnings: ConfigProblem[], required: boolean): Infer<S> {
  const out: Record<string, unknown> = {};
  const join = (k: string) => (prefix ? `${prefix}.${k}` : k);
  let obj: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== "object" || Array.isArray(raw)) problems.push({ key: prefix || "(root)", message: `expected a map of keys, got ${describe(raw)}` });
    else obj = raw as Record<string, unknown>;
  } else if (required) {
    problems.push({ key: prefix, message: "missing" });
  }
  for (const [k, def] of Object.entries(shape)) {
    const key = join(k);
    out[k] = def.kind === "section" ? readShape(def.fields, obj[k], key, problems, warnings, false) : def.read(obj[k], key, problems, warnings);
  }
  for (const k of Object.keys(obj)) {
    if (k in shape) continue;
    // Unknown keys are ignored, as the originals do, but never silently: a typo would otherwise hide.
    const near = Object.keys(shape).filter((s) => levenshtein(s, k) <= 2);
    warnings.push({ key: join(k), message: `unknown key, ignored${near.length ? ` (did you mean ${near.map((n) => join(n)).join(" or ")}?)` : ""}` });
  }
  return out as Infer<S>;
}

function showShape<S extends SchemaShape>(shape: S, value: Infer<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const v = value as Record<string, unknown>;
  for (const [k, def] of Object.entries(shape)) {
    out[k] = def.kind === "section" ? showShape(def.fields, v[k] as Infer<SchemaShape>) : def.show(v[k]);
  }
  return out;
}

/** Validates a raw (parsed YAML) object against a schema, filling defaults. */
export function validateConfig<S extends SchemaShape>(shape: S, raw: unknown): { value: Infer<S>; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const value = readShape(shape, raw, "", problems, warnings, false);
  return { value, problems, warnings };
}

/** The config as plain YAML-printable data (durations as "5s"). */
export function showConfig<S extends SchemaShape>(shape: S, value: Infer<S>): Record<string, unknown> {
  return showShape(shape, value);
}

/** Every leaf key with its type, default and documentation: for --help and the docs' config reference. */
export function describeSchema(shape: SchemaShape, prefix = ""): { key: string; type: string; default: unknown; doc: string }[] {
  const rows: { key: string; type: string; default: unknown; doc: string }[] = [];
  for (const [k, def] of Object.entries(shape)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (def.kind === "section") rows.push(...describeSchema(def.fields, key));
    else rows.push({ key, type: def.type, default: def.show(def.default), doc: def.doc });
  }
  return rows;
}

/** True when `path` (dotted) names a field or section of the schema. */
export function hasKey(shape: SchemaShape, path: string[]): boolean {
  let cur: SchemaShape = shape;
  for (let i = 0; i < path.length; i++) {
    const def = cur[path[i]!];
    if (!def) return false;
    if (def.kind === "field") return i === path.length - 1 || def.type.startsWith("map") || def.type.startsWith("section");
    cur = def.fields;
  }
  return true;
}
