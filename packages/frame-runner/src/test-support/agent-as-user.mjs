// A real agent that is not root (the test spawns it as another uid): launches one frame from the built
// library and prints what happened as JSON.
import { readFileSync } from "node:fs";
import { createFrameRunner } from "../../dist/index.js";

const [stateDir, specJson] = process.argv.slice(2);
const runner = createFrameRunner({ hostName: "test-host", stateDir, monitorIntervalMs: 100, tailIntervalMs: 50 });
try {
  const frame = await runner.launch(JSON.parse(specJson));
  const exit = await frame.exited;
  process.stdout.write(JSON.stringify({ ok: true, exit, log: readFileSync(frame.logPath, "utf8") }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, name: e.name, code: e.code ?? null, message: e.message }));
}
