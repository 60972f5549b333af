import { initBackend } from "./model/backend.ts";
import { createModel, disposeModel, namedWeights } from "./model/networks.ts";
import { GiB } from "../pipeline/bounded_read.ts";
import { configSchema, modelSchema } from "./config_schema.ts";
import { estimateMemory, memoryProblem, modelParameters } from "./limits.ts";
import { assert_, assertEquals, assertIncludes } from "../pipeline/test_assert.ts";

Deno.test("modelParameters counts what createModel builds, for every kind", async () => {
  await initBackend("cpu");
  const shape = { inputDim: 12, numClasses: 3, examples: 0 };
  for (const kind of ["vae", "cvae-prior", "cvae-concat", "ae"] as const) {
    for (const hidden of [[], [7], [7, 5]]) {
      const params = modelSchema.parse({ kind, hidden, latentDim: 2 });
      const model = createModel(params, shape.inputDim, shape.numClasses, 0);
      const built = namedWeights(model).reduce((n, w) => n + w.tensor.size, 0);
      disposeModel(model);
      assertEquals(modelParameters(params, shape), built, `${kind} ${JSON.stringify(hidden)}`);
    }
  }
});

Deno.test("the memory estimate names what drives it, and fits the default config easily", () => {
  const config = (over: Record<string, unknown>) => ({ ...configSchema.parse(over), name: "t" });
  const mnist = { inputDim: 784, numClasses: 10, examples: 10_000 };
  const defaults = estimateMemory(config({}), mnist);
  assert_(defaults.total < 1 * GiB, `default config needs ${defaults.total} bytes`);
  assertEquals(memoryProblem(config({}), mnist, 8 * GiB), null);

  const wide = memoryProblem(config({ model: { hidden: [16384, 16384, 16384] } }), mnist, 8 * GiB);
  assertEquals(wide?.yamlPath, ["model", "hidden"]);
  assertIncludes(
    wide!.message,
    "over the 8 GiB memory budget; use fewer or narrower hidden layers",
  );

  const iw = config({ evaluate: { iwK: [100_000], iwExamples: 100_000 } });
  assertEquals(memoryProblem(iw, mnist, 1 * GiB)?.yamlPath, ["evaluate", "iwK"]);

  const batch = config({ train: { batchSize: 65_536 }, model: { hidden: [16384] } });
  assertEquals(memoryProblem(batch, mnist, 1 * GiB)?.yamlPath, ["train", "batchSize"]);
});
