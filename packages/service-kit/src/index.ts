export { parseDuration, formatDuration } from "./config/duration.js";
export { parseSize } from "./config/size.js";
export { field, section, validateConfig, showConfig, describeSchema, type Field, type Section, type SchemaShape, type Infer, type ConfigProblem } from "./config/schema.js";
export { renderSampleYaml } from "./config/sample-yaml.js";
export { parseSetFlags, validateConfigCommand, printSampleConfig, type ConfigCliIo } from "./config-cli.js";
export { loadConfig, ConfigError, type LoadConfigOptions, type LoadedConfig } from "./config/load-config.js";
export { createLogger, normalizeLevel, type Logger, type LoggerOptions, type LogFormat, type LogLevel } from "./logger.js";
export { startHttpEndpoints, type HttpEndpoints, type HttpEndpointsOptions, type HealthReport } from "./http-endpoints.js";
