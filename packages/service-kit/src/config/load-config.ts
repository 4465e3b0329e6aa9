// Finds, reads, merges and validates a service's config: file (explicit path, then the env var naming one,
// then cosmiconfig's usual places, then the originals' default paths), environment overrides and CLI
// overrides, in that order of precedence (later wins).
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { cosmiconfig } from "cosmiconfig";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { hasKey, validateConfig, type ConfigProblem, type Infer, type SchemaShape } from "./schema.js";

export interface LoadConfigOptions<S extends SchemaShape> {
  schema: S;
  /** cosmiconfig module name: finds NAME.yaml, .NAMErc(.yaml), package.json "NAME" upwards from cwd. */
  moduleName: string;
  /** Env var that names the config file; when it is set, that file must exist and parse. */
  fileEnvVar: string;
  /** Prefix of env overrides, e.g. OPENRQD: OPENRQD_GRPC__RQD_PORT=4778 or OPENRQD_grpc.rqd_port=4778. */
  envPrefix: string;
  /** Optional places tried after the search, e.g. ~/.local/share/rqd.yaml (the Rust default). */
  defaultPaths?: string[];
  /** An explicit file (a --config flag): must exist and parse. */
  configPath?: string;
  /** Values from CLI flags as dotted key → raw string. */
  overrides?: Record<string, string | number | boolean>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not search the file system (tests): only configPath / fileEnvVar are read. */
  noSearch?: boolean;
}

export interface LoadedConfig<S extends SchemaShape> {
  config: Infer<S>;
  /** The file the config came from, or null for built-in defaults. */
  file: string | null;
  /** Keys set by the environment and by CLI flags. */
  overridden: string[];
  warnings: ConfigProblem[];
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[], readonly file: string | null) {
    super(`invalid configuration${file ? ` in ${file}` : ""}:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const expandHome = (p: string) => (p.startsWith("~/") ? resolve(homedir(), p.slice(2)) : p);

async function readYamlFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new ConfigError([{ key: "(file)", message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], file);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    throw new ConfigError([{ key: "(file)", message: `not valid YAML${where}: ${(e as Error).message.split("\n")[0]}` }], file);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = target;
  for (const part of path.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

export async function loadConfig<S extends SchemaShape>(opts: LoadConfigOptions<S>): Promise<LoadedConfig<S>> {
  const env = opts.env ?? process.env;
  let file: string | null = null;
  let raw: unknown = {};
  const explicit = opts.configPath ?? env[opts.fileEnvVar];
  if (explicit) {
    file = resolve(opts.cwd ?? process.cwd(), expandHome(explicit));
    raw = await readYamlFile(file);
  } else if (!opts.noSearch) {
    const explorer = cosmiconfig(opts.moduleName, {
      searchStrategy: "global",
      searchPlaces: ["package.json", `.${opts.moduleName}rc`, `.${opts.moduleName}rc.yaml`, `.${opts.moduleName}rc.yml`, `${opts.moduleName}.yaml`, `${opts.moduleName}.yml`],
      loaders: { ".yaml": (f, c) => parseYaml(c, { prettyErrors: true }) ?? {}, ".yml": (f, c) => parseYaml(c) ?? {}, noExt: (f, c) => parseYaml(c) ?? {} },
    });
    try {
      const found = await explorer.search(opts.cwd ?? process.cwd());
      if (found && !found.isEmpty) {
        file = found.filepath;
        raw = found.config;
      }
    } catch (e) {
      throw new ConfigError([{ key: "(file)", message: (e as Error).message.split("\n")[0]! }], (e as { filepath?: string }).filepath ?? null);
    }
    if (!file) {
      for (const p of opts.defaultPaths ?? []) {
        const candidate = expandHome(p);
        try {
          await readFile(candidate);
        } catch {
          continue;
        }
        file = candidate;
        raw = await readYamlFile(candidate);
        break;
      }
    }
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([{ key: "(root)", message: "the config file must hold a map of sections" }], file);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  const overridden: string[] = [];
  const problems: ConfigProblem[] = [];

  const prefix = `${opts.envPrefix}_`;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined || name === opts.fileEnvVar) continue;
    const path = name.slice(prefix.length).toLowerCase().split(/__|\./).filter(Boolean);
    if (!hasKey(opts.schema, path)) {
      problems.push({ key: `env ${name}`, message: `names no config key (${path.join(".")})` });
      continue;
    }
    setPath(merged, path, value);
    overridden.push(path.join("."));
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    const path = key.split(".");
    if (!hasKey(opts.schema, path)) {
      problems.push({ key, message: "names no config key" });
      continue;
    }
    setPath(merged, path, value);
    overridden.push(key);
  }
  const result = validateConfig(opts.schema, merged);
  problems.push(...result.problems);
  if (problems.length > 0) throw new ConfigError(problems, file);
  return { config: result.value, file, overridden, warnings: result.warnings };
}
