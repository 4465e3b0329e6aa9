import { createHash } from "node:crypto";

/** A stable 36-character signature for a dependency (depend.str_signature is unique). */
export function dependSignature(parts: readonly (string | null | undefined)[]): string {
  const hex = createHash("sha1").update(parts.map((p) => p ?? "").join("|")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
