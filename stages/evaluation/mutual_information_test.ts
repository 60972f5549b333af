import { Rng } from "../../lib/rng.ts";
import { assert_, assertClose } from "../../pipeline/test_assert.ts";
import { readPrepared } from "../data/prepared.ts";
import { initBackend } from "../model/backend.ts";
import { disposeModel } from "../model/networks.ts";
import { loadTrainedModel } from "../training/trained_model.ts";
import { examplesOf } from "./examples.ts";
import { mutualInformation } from "./mutual_information.ts";
import { posteriorPass } from "./posterior_pass.ts";
import { preparedDir, trainedDir } from "./test_models.ts";

const n = 500;
const d = 2;

Deno.test("MI is ≈ 0 when every posterior is the same (z says nothing about x)", () => {
  const mu = new Float32Array(n * d).fill(0.3);
  const logVar = new Float32Array(n * d).fill(-1);
  const { mutualInformation: mi, logN } = mutualInformation(mu, logVar, d, new Rng(1));
  assert_(Math.abs(mi) < 0.2, `MI ${mi}`);
  assertClose(logN, Math.log(n), 1e-12);
});

Deno.test("MI is ≈ log N when the posteriors do not overlap (z names its x)", () => {
  const mu = Float32Array.from({ length: n * d }, (_, i) => (i % d === 0 ? 100 * (i / d) : 0));
  const logVar = new Float32Array(n * d).fill(0);
  const { mutualInformation: mi, logN } = mutualInformation(mu, logVar, d, new Rng(1));
  assertClose(mi, logN, 0.2);
});

Deno.test("MI of a trained model lies within [0, log N]", async () => {
  const dir = await trainedDir("vae");
  await initBackend("wasm");
  const { model, summary } = await loadTrainedModel(dir);
  const { test } = await readPrepared(await preparedDir());
  const pass = posteriorPass(model, examplesOf(test, summary.classes), undefined, 100);
  disposeModel(model);
  const { mutualInformation: mi, logN } = mutualInformation(pass.mu, pass.logVar!, d, new Rng(2));
  assert_(mi >= 0 && mi <= logN, `MI ${mi} outside [0, ${logN}]`);
  // The fixture's model uses z (both dimensions active), so its MI is well above 0.
  assert_(mi > 0.1, `MI ${mi}: the model should carry information about x`);
});
