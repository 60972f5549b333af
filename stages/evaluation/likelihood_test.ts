import { assert_ } from "../../pipeline/test_assert.ts";
import type { Model } from "../model/networks.ts";
import { describeBinarization, describeLikelihood } from "./likelihood.ts";

const model = (likelihood: string, variance = "fixed") =>
  ({
    inputDim: 784,
    params: { likelihood, gaussian: { variance, sigma: 0.1 } },
  }) as unknown as Model;

Deno.test("the likelihood is named, and BCE on grey levels is flagged as improper", () => {
  const grey = describeLikelihood(model("bernoulli"), false, "binary as given", null);
  assert_(grey.includes("continuous-target BCE, a proper log-likelihood only for binary data"));
  const how = describeBinarization("dynamic", null, true);
  const binary = describeLikelihood(model("bernoulli"), true, how, null);
  assert_(binary.endsWith("so this is a proper log-likelihood"), binary);
  assert_(binary.includes("drawn once as Bernoulli(grey level)"), binary);
  assert_(describeBinarization("static", 0.5, false).includes("thresholded at 0.5"));
  const fixed = describeLikelihood(model("gaussian"), false, "", null);
  assert_(fixed.includes("a fixed σ = 0.1") && fixed.includes("summed over the 784 pixels"));
  assert_(describeLikelihood(model("gaussian", "learned"), false, "", -3).includes("log σ² = -3"));
});
