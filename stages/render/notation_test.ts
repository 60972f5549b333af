import { assertEquals } from "../../pipeline/test_assert.ts";
import { notation } from "./notation.ts";

const model = (kind: string) => ({ kind, regularizer: "kl", beta: 1 });

Deno.test("notation: what a model's bounds bound follows its kind in metrics.json", () => {
  assertEquals(notation({ model: model("vae") }).evidence, "log p(x)");
  assertEquals(notation({ model: model("ae") }).evidence, "log p(x)");
  const prior = notation({ model: model("cvae-prior") });
  assertEquals(
    [prior.evidence, prior.posterior, prior.likelihood, prior.prior, prior.muSquared],
    ["log p(x | y)", "q(z|x)", "p(x|z)", "p(z|y)", "(μ − μ^y)²"],
  );
  const concat = notation({ model: model("cvae-concat") });
  assertEquals(
    [concat.evidence, concat.posterior, concat.likelihood, concat.prior, concat.muSquared],
    ["log p(x | y)", "q(z|x,y)", "p(x|z,y)", "p(z)", "μ²"],
  );
});

Deno.test("notation: a metrics.json without the model's kind but with a cvae block is conditional", () => {
  assertEquals(notation({ cvae: { logPxGivenY: -70 } }).evidence, "log p(x | y)");
  assertEquals(notation({}).evidence, "log p(x)");
});
