import { HostMonitorParseError } from "../errors.js";
import { NVIDIA_SMI_QUERY_FIELDS, parseNvidiaSmiQuery } from "../parsers/nvidia-smi.js";
import type { GpuInventory } from "../render-host.js";
import { runCommand } from "./run-command.js";

export interface NvidiaSmiOptions {
  /** Default "nvidia-smi" (looked up on PATH). */
  binary?: string;
  /** Default 5000 ms; a wedged driver can make nvidia-smi hang for minutes. */
  timeoutMs?: number;
}

/**
 * GPUs as nvidia-smi reports them. No nvidia-smi, or a driver that sees no device, is zero GPUs with
 * error null. A failing or hanging nvidia-smi, or output we cannot parse, is also zero GPUs, with the
 * reason in `error` (a host report must not fail because of the GPU probe).
 */
export async function readNvidiaGpus(options: NvidiaSmiOptions = {}): Promise<GpuInventory> {
  const binary = options.binary ?? "nvidia-smi";
  const result = await runCommand(binary, [`--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"], {
    timeoutMs: options.timeoutMs ?? 5000,
  });
  if (result.error === "ENOENT") return { devices: [], error: null };
  if (/No devices were found/i.test(result.stdout + result.stderr)) return { devices: [], error: null };
  if (result.error !== null) return { devices: [], error: `${binary}: ${result.error}` };
  if (!result.ok) {
    const detail = (result.stdout + result.stderr).trim().split("\n")[0] ?? "";
    return { devices: [], error: `${binary} exited ${result.exitCode}: ${detail}` };
  }
  try {
    return { devices: parseNvidiaSmiQuery(result.stdout, binary), error: null };
  } catch (error) {
    if (error instanceof HostMonitorParseError) return { devices: [], error: error.message };
    throw error;
  }
}
