// cue-scheduler's command line: the Rust scheduler's flags (--facility, --ignore-tags) plus ours.
import { parseArgs } from "node:util";
import { parseSetFlags, printSampleConfig, validateConfigCommand, type ConfigCliIo } from "@opencue-ts/service-kit";
import { checkSchedulerConfig, loadSchedulerConfig, schedulerConfigSchema, SCHEDULER_SAMPLE_HEADER } from "./config/scheduler-config.js";

export const SCHEDULER_USAGE = `Usage: cue-scheduler [options]

The OpenCue scheduler service: books waiting frames onto idle hosts in Cuebot's database.

Options:
  -c, --config FILE          config file (default: $OPENCUE_SCHEDULER_CONFIG, then scheduler.yaml found
                             upwards, then ~/.local/share/scheduler.yaml, then /etc/opencue/scheduler.yaml)
  -f, --facility NAME        only schedule this facility (scheduler.facility)
  -i, --ignore-tags TAG      tag removed from every cluster (scheduler.ignore_tags; repeatable)
      --alloc-tags TAGS      only these allocation tags, comma-separated (scheduler.alloc_tags)
      --manual-tags TAGS     only these manual tags, comma-separated (scheduler.manual_tags)
      --shows NAMES          schedule exactly these shows, comma-separated, managed or not (scheduler.shows)
      --database-url URL     PostgreSQL URL postgres://user:pass@host:port/db (database.url; also the env
                             variable OPENSCHEDULER_database.url); without one an embedded PostgreSQL starts
      --grpc-port PORT       RQD port on every host (rqd.grpc_port)
      --metrics-port PORT    port of /metrics and /healthz, 0 = any free one (queue.metrics_port)
      --instance-id NAME     name of this instance among several (instance.id)
      --dry-run              book in the database but do not call RQD (rqd.dry_run_mode)
      --set KEY=VALUE        set any config key, e.g. --set database.db_host=db1 (repeatable)
      --validate-config      print the effective configuration, or every bad key, and exit
      --print-sample-config  print a documented scheduler.yaml with every key and its default, and exit
  -h, --help                 show this help

Environment: OPENSCHEDULER_<section>.<key>=value (or OPENSCHEDULER_<SECTION>__<KEY>) overrides a key.
Docs: docs/scheduler.md and config/scheduler.yaml in the opencue-ts repository.
`;

export interface SchedulerCliOptions {
  configPath?: string;
  overrides: Record<string, string>;
}

export type SchedulerCliAction = { kind: "help" } | { kind: "sample" } | { kind: "validate"; options: SchedulerCliOptions } | { kind: "run"; options: SchedulerCliOptions };

export function parseSchedulerArgs(argv: readonly string[]): SchedulerCliAction {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      facility: { type: "string", short: "f" },
      "ignore-tags": { type: "string", short: "i", multiple: true },
      ignore_tags: { type: "string", multiple: true },
      "alloc-tags": { type: "string" },
      alloc_tags: { type: "string" },
      "manual-tags": { type: "string" },
      manual_tags: { type: "string" },
      "dry-run": { type: "boolean" },
      shows: { type: "string" },
      "database-url": { type: "string" },
      database_url: { type: "string" },
      "grpc-port": { type: "string" },
      "metrics-port": { type: "string" },
      "instance-id": { type: "string" },
      set: { type: "string", multiple: true },
      "validate-config": { type: "boolean" },
      "print-sample-config": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  if (values.help) return { kind: "help" };
  if (values["print-sample-config"]) return { kind: "sample" };
  const overrides = parseSetFlags(values.set);
  // The Rust CLI wins over the config only with a non-empty value; both spellings are accepted.
  if (values.facility) overrides["scheduler.facility"] = values.facility;
  const ignore = [...(values["ignore-tags"] ?? []), ...(values.ignore_tags ?? [])];
  if (ignore.length > 0) overrides["scheduler.ignore_tags"] = ignore.join(",");
  const alloc = values["alloc-tags"] ?? values.alloc_tags;
  if (alloc) overrides["scheduler.alloc_tags"] = alloc;
  const manual = values["manual-tags"] ?? values.manual_tags;
  if (manual) overrides["scheduler.manual_tags"] = manual;
  if (values["dry-run"]) overrides["rqd.dry_run_mode"] = "true";
  if (values.shows) overrides["scheduler.shows"] = values.shows;
  const url = values["database-url"] ?? values.database_url;
  if (url) overrides["database.url"] = url;
  if (values["grpc-port"]) overrides["rqd.grpc_port"] = values["grpc-port"];
  if (values["metrics-port"]) overrides["queue.metrics_port"] = values["metrics-port"];
  if (values["instance-id"]) overrides["instance.id"] = values["instance-id"];
  const options = { configPath: values.config, overrides };
  return values["validate-config"] ? { kind: "validate", options } : { kind: "run", options };
}

export async function runSchedulerCli(argv: readonly string[], io: ConfigCliIo, runService: (o: SchedulerCliOptions) => Promise<number>): Promise<number> {
  let action: SchedulerCliAction;
  try {
    action = parseSchedulerArgs(argv);
  } catch (e) {
    io.err(`cue-scheduler: ${(e as Error).message}\n\n${SCHEDULER_USAGE}`);
    return 2;
  }
  switch (action.kind) {
    case "help":
      io.out(SCHEDULER_USAGE);
      return 0;
    case "sample":
      return printSampleConfig(schedulerConfigSchema, SCHEDULER_SAMPLE_HEADER, io);
    case "validate":
      return validateConfigCommand(schedulerConfigSchema, () => loadSchedulerConfig(action.options), io, checkSchedulerConfig);
    case "run":
      return runService(action.options);
  }
}
