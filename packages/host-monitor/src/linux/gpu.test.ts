import { createScriptDir } from "../test-support/scripts.js";
import { fixturePath } from "../test-support/fixtures.js";
import { readNvidiaGpus } from "./gpu.js";

const bin = createScriptDir();
afterAll(() => bin.cleanup());

describe("readNvidiaGpus (real processes standing in for nvidia-smi)", () => {
  test("nvidia-smi not installed: zero GPUs, no error", async () => {
    expect(await readNvidiaGpus({ binary: `${bin.dir}/no-such-nvidia-smi` })).toEqual({ devices: [], error: null });
  });

  test("eight GPUs, and the query asks for the columns the parser expects", async () => {
    const args = `${bin.dir}/args.txt`;
    const smi = bin.script("smi8", `echo "$@" > ${args}\ncat ${fixturePath("nvidia-smi/eight-gpus.txt")}`);
    const inv = await readNvidiaGpus({ binary: smi });
    expect(inv.error).toBeNull();
    expect(inv.devices).toHaveLength(8);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(args, "utf8").trim()).toBe("--query-gpu=index,uuid,name,pci.bus_id,memory.total,memory.used,memory.free --format=csv,noheader,nounits");
  });

  test("driver sees no device (exit 6): zero GPUs, no error", async () => {
    const smi = bin.script("smi0", `cat ${fixturePath("nvidia-smi/zero-gpus.txt")}\nexit 6`);
    expect(await readNvidiaGpus({ binary: smi })).toEqual({ devices: [], error: null });
  });

  test("driver failure: zero GPUs with the reason", async () => {
    const smi = bin.script("smifail", `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."\nexit 9`);
    const inv = await readNvidiaGpus({ binary: smi });
    expect(inv.devices).toEqual([]);
    expect(inv.error).toMatch(/exited 9: NVIDIA-SMI has failed/);
  });

  test("a hanging nvidia-smi is killed at the timeout", async () => {
    const smi = bin.script("smihang", "exec sleep 30");
    const started = Date.now();
    const inv = await readNvidiaGpus({ binary: smi, timeoutMs: 300 });
    expect(inv).toEqual({ devices: [], error: `${smi}: ETIMEDOUT` });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("unparsable output: zero GPUs with the parse error", async () => {
    const smi = bin.script("smibad", `cat ${fixturePath("nvidia-smi/wrong-columns.txt")}`);
    const inv = await readNvidiaGpus({ binary: smi });
    expect(inv.devices).toEqual([]);
    expect(inv.error).toContain("expected 7 columns");
  });
});
