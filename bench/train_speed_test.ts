import { assertEquals, assertIncludes } from "../pipeline/test_assert.ts";
import { noiseWarnings, spread } from "./train_speed.ts";

Deno.test("bench: rounds more than 20% apart are flagged, steady ones are not", () => {
  const steady = { label: "tfjs wasm", rounds: [3000, 2900, 2850] };
  const busy = { label: "torch 2 threads", rounds: [7000, 5000, 6900] };
  assertEquals(Math.round(spread(busy) * 100), 29);
  assertEquals(noiseWarnings([steady]), []);
  const warnings = noiseWarnings([steady, busy]);
  assertEquals(warnings.length, 1);
  assertIncludes(warnings[0], "torch 2 threads rounds differ by 29%");
});
