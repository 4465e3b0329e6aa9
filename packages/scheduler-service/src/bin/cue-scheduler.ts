import { runSchedulerCli } from "../cli.js";

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
const code = await runSchedulerCli(process.argv.slice(2), io, async () => {
  // Honest about what this build contains: configuration tooling only, until the service lands.
  io.err("cue-scheduler: this build contains the configuration commands only (--validate-config, --print-sample-config); the scheduling service itself is not included yet.\n");
  return 1;
});
process.exitCode = code;
