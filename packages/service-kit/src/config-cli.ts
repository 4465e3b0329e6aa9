// The config commands every service CLI offers: --validate-config, --print-sample-config and --set KEY=VALUE.
import { stringify } from "yaml";
import { ConfigError, type LoadedConfig } from "./config/load-config.js";
import { renderSampleYaml } from "./config/sample-yaml.js";
import { showConfig, type ConfigProblem, type SchemaShape } from "./config/schema.js";

export interface ConfigCliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Parses repeated `--set key=value` flags into overrides; throws naming the bad flag. */
export function parseSetFlags(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`--set expects KEY=VALUE (e.g. --set grpc.rqd_port=4778), got "${v}"`);
    out[v.slice(0, eq).trim()] = v.slice(eq + 1);
  }
  return out;
}

/**
 * Runs --validate-config: prints the effective config as YAML plus warnings and returns 0, or prints every
 * problem and returns 1. `extraChecks` are cross-key rules of the service.
 */
export async function validateConfigCommand<S extends SchemaShape>(
  schema: S,
  load: () => Promise<LoadedConfig<S>>,
  io: ConfigCliIo,
  extraChecks: (c: LoadedConfig<S>["config"]) => ConfigProblem[] = () => [],
): Promise<number> {
  let loaded: LoadedConfig<S>;
  try {
    loaded = await load();
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const problems = extraChecks(loaded.config);
  if (problems.length > 0) {
    io.err(`${new ConfigError(problems, loaded.file).message}\n`);
    return 1;
  }
  io.out(`# effective configuration (from ${loaded.file ?? "built-in defaults"}${loaded.overridden.length ? `; overridden: ${loaded.overridden.join(", ")}` : ""})\n`);
  io.out(stringify(showConfig(schema, loaded.config)));
  for (const w of loaded.warnings) io.err(`warning: ${w.key}: ${w.message}\n`);
  return 0;
}

export function printSampleConfig(schema: SchemaShape, header: string, io: ConfigCliIo): number {
  io.out(renderSampleYaml(schema, header));
  return 0;
}
