// Conversions from Cuebot column values to the model, so every caller maps rows the same way.
import { inconsistent } from "./errors.js";
import type { ThreadMode } from "./snapshot.js";

/** layer.str_tags / host.str_tags: split on "|", spaces trimmed, empties dropped, duplicates removed. */
export function parseTagList(value: string | null | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split("|").map((t) => t.trim()).filter((t) => t !== ""))];
}

/** layer.str_services: split on ",", trimmed. */
export function parseServiceList(value: string | null | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** host.int_thread_mode: 0 AUTO, 1 ALL, 2 VARIABLE; anything else is AUTO (as the reference does). */
export function threadModeFromInt(value: number): ThreadMode {
  return value === 1 ? "ALL" : value === 2 ? "VARIABLE" : "AUTO";
}

/** Checks a Cuebot id column value (varchar(36)); lower-cases it like the reference. */
export function normaliseId(entity: string, field: string, value: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 36) throw inconsistent(entity, String(value), field, "must be a varchar(36) id");
  return value.toLowerCase();
}
