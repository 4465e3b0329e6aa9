// Renders a documented sample YAML file from a schema: every key with its default and its documentation,
// so config/*.yaml samples never drift from the code (a test compares them).
import { stringify } from "yaml";
import type { SchemaShape } from "./schema.js";

function render(shape: SchemaShape, indent: string, out: string[]): void {
  for (const [key, def] of Object.entries(shape)) {
    if (def.kind === "section") {
      out.push("", `${indent}# ${def.doc}`, `${indent}${key}:`);
      render(def.fields, indent + "  ", out);
      continue;
    }
    out.push(`${indent}# ${def.doc} (${def.type})`);
    const value = def.show(def.default);
    if (value === null) {
      out.push(`${indent}# ${key}:`);
    } else {
      out.push(`${indent}${key}: ${stringify(value, { lineWidth: 0, flowCollectionPadding: false, collectionStyle: "flow" }).trimEnd()}`);
    }
  }
}

export function renderSampleYaml(shape: SchemaShape, header: string): string {
  const out: string[] = header.trimEnd().split("\n").map((l) => (l ? `# ${l}` : "#"));
  render(shape, "", out);
  return out.join("\n") + "\n";
}
