// A real agent process for recovery tests: launches one frame from the built library, prints its pid and
// waits to be SIGKILLed by the test.
import { createFrameRunner } from "../../dist/index.js";

const [stateDir, specJson] = process.argv.slice(2);
const runner = createFrameRunner({ hostName: "test-host", stateDir, defaultUid: process.getuid(), allowRootFrames: true, runAsUser: false, monitorIntervalMs: 100 });
const frame = await runner.launch(JSON.parse(specJson));
process.stdout.write(`${frame.pid}\n`);
setInterval(() => {}, 1000);
