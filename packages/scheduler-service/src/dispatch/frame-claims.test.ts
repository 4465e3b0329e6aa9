import { createFrameClaims } from "./frame-claims.js";

test("claims hold for their time, can be released, and lapse on their own", () => {
  let t = 1000;
  const claims = createFrameClaims({ ttlMs: 5000, now: () => t });
  claims.claim(["a", "b", "c"]);
  expect(["a", "b", "c", "d"].map((id) => claims.has(id))).toEqual([true, true, true, false]);
  claims.release(["b"]);
  expect(claims.has("b")).toBe(false);
  t += 4000;
  claims.claim(["c"]); // extended to 10 000
  t += 1500; // 6 500: a lapsed, c still held
  expect(claims.has("a")).toBe(false);
  expect(claims.has("c")).toBe(true);
  expect(claims.prune()).toBe(1);
  t += 5000;
  expect(claims.prune()).toBe(0);
  expect(claims.size).toBe(0);
});
