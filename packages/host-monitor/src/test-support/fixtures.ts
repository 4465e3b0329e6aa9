import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const fixturesDir = fileURLToPath(new URL("../__fixtures__/", import.meta.url));

export function fixturePath(name: string): string {
  return fixturesDir + name;
}

export function fixture(name: string): string {
  return readFileSync(fixturePath(name), "utf8");
}
