import { HostMonitorParseError } from "../errors.js";

export interface InterruptLine {
  irq: string;
  /** Sum over all CPUs. */
  count: number;
  /** Everything after the per-CPU counts: chip, trigger and device names. */
  description: string;
}

/** /proc/interrupts: a header of CPU names, then "IRQ: n n ... chip hwirq-edge device" rows. */
export function parseInterrupts(text: string, file = "/proc/interrupts"): InterruptLine[] {
  const lines = text.split("\n");
  const cpus = (lines[0] ?? "").trim().split(/\s+/).filter((s) => /^CPU\d+$/.test(s)).length;
  if (cpus === 0) throw new HostMonitorParseError(file, 1, "no CPU header");
  const out: InterruptLine[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new HostMonitorParseError(file, i + 1, "expected '<irq>:' at the start of the line");
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    let count = 0;
    let k = 0;
    for (; k < cpus && k < fields.length && /^\d+$/.test(fields[k] as string); k++) count += Number(fields[k]);
    out.push({ irq: line.slice(0, colon).trim(), count, description: fields.slice(k).join(" ") });
  }
  return out;
}

/**
 * Interrupt lines that fire on keyboard/mouse input: the PS/2 controller (i8042), HID devices, and USB
 * host controllers (USB keyboards and mice raise no IRQ of their own; this also counts other USB
 * traffic, which errs towards "user active", i.e. towards leaving the desktop to its user).
 */
export const DEFAULT_INPUT_IRQ_PATTERN = /i8042|keyboard|mouse|touchpad|hid|[xeou]hci_hcd/i;

export function sumInputInterrupts(lines: readonly InterruptLine[], pattern: RegExp = DEFAULT_INPUT_IRQ_PATTERN): { count: number; matched: number } {
  let count = 0;
  let matched = 0;
  for (const l of lines) {
    if (pattern.test(l.description)) {
      count += l.count;
      matched++;
    }
  }
  return { count, matched };
}
