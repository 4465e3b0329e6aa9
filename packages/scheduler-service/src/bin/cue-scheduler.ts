import { runSchedulerCli } from "../cli.js";
import { runSchedulerService } from "../service/run-service.js";

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
process.exitCode = await runSchedulerCli(process.argv.slice(2), io, (options) => runSchedulerService(options, io));
