// winston logging for the services: structured JSON in production, readable text in a terminal.
import winston from "winston";

export type LogFormat = "json" | "text" | "auto";
export type LogLevel = "error" | "warn" | "info" | "debug";

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Service name stamped on every JSON line. */
  service: string;
  /** Log to this file (rotated by size) instead of stdout. */
  file?: { path: string; maxSizeBytes?: number; maxFiles?: number } | null;
  /** Where text/JSON goes when no file is set (tests pass their own stream). */
  stream?: NodeJS.WritableStream;
}

/** Maps the originals' level names ("warning", "debug:sqlx=info", "info,sqlx=warn") onto winston's. */
export function normalizeLevel(level: string | undefined): LogLevel {
  const head = (level ?? "info").split(/[,:]/)[0]!.trim().toLowerCase();
  if (head === "warning") return "warn";
  if (head === "trace") return "debug";
  if (head === "error" || head === "warn" || head === "info" || head === "debug") return head;
  return "info";
}

// winston's json() turns an Error nested in meta into {}: serialize errors ourselves.
const serializeErrors = winston.format((info) => {
  for (const [k, v] of Object.entries(info)) {
    if (v instanceof Error) (info as Record<string, unknown>)[k] = { name: v.name, message: v.message, stack: v.stack, ...("code" in v ? { code: (v as { code: unknown }).code } : {}) };
  }
  return info;
});

const bigintSafe = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

export function createLogger(opts: LoggerOptions): winston.Logger {
  const stream = opts.stream ?? process.stdout;
  const useText = opts.format === "text" || (opts.format !== "json" && !opts.file && (stream as NodeJS.WriteStream).isTTY === true);
  const base = [winston.format.errors({ stack: true }), serializeErrors(), winston.format.timestamp()];
  const format = useText
    ? winston.format.combine(...base, winston.format.printf((info) => {
        const { timestamp, level, message, service: _s, stack, ...rest } = info as Record<string, unknown>;
        const extra = Object.keys(rest).length ? " " + JSON.stringify(rest, bigintSafe) : "";
        return `${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} ${String(message)}${extra}${stack ? `\n${String(stack)}` : ""}`;
      }))
    : winston.format.combine(...base, winston.format.json({ replacer: bigintSafe }));
  const transport = opts.file
    ? new winston.transports.File({ filename: opts.file.path, maxsize: opts.file.maxSizeBytes ?? 1024 * 1024, maxFiles: opts.file.maxFiles ?? 7, tailable: true })
    : new winston.transports.Stream({ stream });
  return winston.createLogger({ level: normalizeLevel(opts.level), defaultMeta: { service: opts.service }, format, transports: [transport] });
}

export type Logger = winston.Logger;
