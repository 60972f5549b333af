import * as tf from "@tensorflow/tfjs-core";
import { type LossParams, lossSchema, type ModelParams, modelSchema } from "../config_schema.ts";
import { Rng } from "../../lib/rng.ts";
import {
  assert_,
  assertClose,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "../../pipeline/test_assert.ts";
import { type BackendName, initBackend } from "./backend.ts";
import { capabilitiesOf, MODEL_KINDS } from "./kinds.ts";
import { bernoulliNll, gaussianNll, klPerDim } from "./losses.ts";
import {
  createModel,
  decode,
  decodeMean,
  disposeModel,
  encode,
  forward,
  type LossTerms,
  lossTerms,
  type Model,
  namedWeights,
  oneHot,
  priorMean,
  reparameterize,
  sampleEps,
  trainableVariables,
  trainStep,
} from "./networks.ts";

await initBackend("wasm");

// Small shapes: 6 pixels, 3 classes, hidden [5, 4], a 2-d latent, batches of 4.
const [INPUT, CLASSES, LATENT, BATCH] = [6, 3, 2, 4];
const params = (overrides: Partial<ModelParams> = {}) =>
  modelSchema.parse({ hidden: [5, 4], latentDim: LATENT, ...overrides });
const lossParams = (overrides: Partial<LossParams> = {}) => lossSchema.parse(overrides);

/** A fixed batch: pixels in [0, 1], labels 0, 1, 2, 0 as one-hot, and ε. */
function batch(seed = 1) {
  const rng = new Rng(seed);
  const x = tf.tensor2d(Float32Array.from({ length: BATCH * INPUT }, () => rng.uniform()), [
    BATCH,
    INPUT,
  ]);
  return { x, y: oneHot([0, 1, 2, 0], CLASSES), eps: sampleEps(rng.fork("eps"), BATCH, LATENT) };
}

/** Run `f` on a fresh model and batch, then free both. */
function withModel<T>(p: ModelParams, f: (m: Model, b: ReturnType<typeof batch>) => T, seed = 7) {
  const model = createModel(p, INPUT, CLASSES, seed);
  const b = batch();
  try {
    return f(model, b);
  } finally {
    disposeModel(model);
    tf.dispose([b.x, b.y, b.eps]);
  }
}

const values = (m: Model) => namedWeights(m).map((w) => Array.from(w.tensor.dataSync()));
const read = (terms: LossTerms) =>
  Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, t.dataSync()[0]])) as Record<
    keyof LossTerms,
    number
  >;

Deno.test("createModel: the same seed gives byte-identical weights, another seed differs", () => {
  const p = params({ kind: "cvae-prior" });
  const [a, b, c] = [1, 1, 2].map((seed) => createModel(p, INPUT, CLASSES, seed));
  const bytes = (m: Model) =>
    namedWeights(m).map((w) => new Uint8Array(w.tensor.dataSync().buffer).join());
  assertEquals(bytes(a), bytes(b));
  assertNotEquals(bytes(a), bytes(c));
  [a, b, c].forEach(disposeModel);
});

Deno.test("createModel: Glorot-uniform kernels within their limit, zero biases", () => {
  withModel(params({ kind: "cvae-prior" }), (model) => {
    for (const { name, tensor } of namedWeights(model)) {
      const v = Array.from(tensor.dataSync());
      if (name.endsWith("/bias")) {
        assertEquals(v.every((x) => x === 0), true, name);
        continue;
      }
      const [fanIn, fanOut] = tensor.shape;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      assert_(v.every((x) => Math.abs(x) <= limit), `${name} exceeds ±${limit}`);
      assert_(new Set(v).size === v.length, `${name} has repeated values`);
    }
  });
});

Deno.test("every model kind: parameter names and shapes", () => {
  const shapes = (kind: ModelParams["kind"]) =>
    withModel(params({ kind }), (m) => namedWeights(m).map((w) => `${w.name} ${w.tensor.shape}`));
  const common = (encoderIn: number, decoderIn: number, logVar: boolean) => [
    `encoder/hidden_0/kernel ${encoderIn},5`,
    "encoder/hidden_0/bias 5",
    "encoder/hidden_1/kernel 5,4",
    "encoder/hidden_1/bias 4",
    "encoder/mu/kernel 4,2",
    "encoder/mu/bias 2",
    ...(logVar ? ["encoder/log_var/kernel 4,2", "encoder/log_var/bias 2"] : []),
    `decoder/hidden_0/kernel ${decoderIn},4`, // the decoder mirrors the encoder: 4 then 5
    "decoder/hidden_0/bias 4",
    "decoder/hidden_1/kernel 4,5",
    "decoder/hidden_1/bias 5",
    "decoder/output/kernel 5,6",
    "decoder/output/bias 6",
  ];
  assertEquals(shapes("vae"), common(6, 2, true));
  assertEquals(shapes("ae"), common(6, 2, false));
  assertEquals(shapes("cvae-concat"), common(9, 5, true));
  assertEquals(shapes("cvae-prior"), [...common(6, 2, true), "prior/class_means 3,2"]);
  const learned = params({ likelihood: "gaussian", gaussian: { variance: "learned", sigma: 0.5 } });
  withModel(learned, (m) => {
    const last = namedWeights(m).at(-1)!;
    assertEquals([last.name, last.tensor.shape], ["decoder/log_var", []]);
    assertClose(last.tensor.dataSync()[0], 2 * Math.log(0.5), 1e-6);
  });
});

Deno.test("every model kind: encode, decode and forward shapes", () => {
  for (const kind of MODEL_KINDS) {
    withModel(params({ kind }), (m, { x, y, eps }) => {
      tf.tidy(() => {
        const { mu, logVar } = encode(m, x, y);
        assertEquals(mu.shape, [BATCH, LATENT], kind);
        const logVarShape = capabilitiesOf(kind).stochastic ? [BATCH, LATENT] : undefined;
        assertEquals(logVar?.shape, logVarShape, kind);
        assertEquals(decode(m, mu, y).shape, [BATCH, INPUT], kind);
        assertEquals(priorMean(m, y).shape, [BATCH, LATENT], kind);
        const f = forward(m, x, y, eps);
        assertEquals([f.z.shape, f.decoded.shape, f.recon.shape], [
          [BATCH, LATENT],
          [BATCH, INPUT],
          [BATCH],
        ]);
        const means = Array.from(decodeMean(m, f.z, y).dataSync());
        assert_(means.every((p) => p > 0 && p < 1), `${kind}: pixel means in (0, 1)`);
      });
    });
  }
});

Deno.test("conditional kinds need labels; the others ignore them", () => {
  withModel(params({ kind: "cvae-concat" }), (m, { x }) => {
    assertThrows(() => encode(m, x), "needs one-hot labels");
  });
  withModel(params({ kind: "cvae-prior" }), (m, { x, eps }) => {
    assertThrows(() => forward(m, x, undefined, eps), "needs one-hot labels");
  });
  withModel(params({ kind: "vae" }), (m, { x, y }) => {
    const [withY, withoutY] = tf.tidy(() => [encode(m, x, y).mu, encode(m, x).mu].map(values1));
    assertEquals(withY, withoutY);
    assertEquals(tf.tidy(() => values1(priorMean(m, y))), new Array(BATCH * LATENT).fill(0));
  });
});

const values1 = (t: tf.Tensor) => Array.from(t.dataSync());

Deno.test("lossTerms: recon from z = μ + ε·σ, the KL, and loss = recon + regWeight·reg", () => {
  withModel(params(), (m, { x, eps }) => {
    const got = tf.tidy(() => read(lossTerms(m, x, undefined, eps, lossParams(), 0.25)));
    const expected = tf.tidy(() => {
      const { mu, logVar } = encode(m, x);
      const z = reparameterize(mu, logVar!, eps);
      const recon = tf.mean(bernoulliNll(decode(m, z), x)).dataSync()[0];
      const kl = tf.mean(tf.sum(klPerDim(mu, logVar!), 1)).dataSync()[0];
      return { recon, kl };
    });
    assertClose(got.recon, expected.recon, 1e-5);
    assertClose(got.kl, expected.kl, 1e-6);
    assertClose(got.reg, 0.25 * expected.kl, 1e-6);
    assertClose(got.loss, expected.recon + 0.25 * expected.kl, 1e-5);
    assertClose(got.muTerm + got.sigmaTerm, got.kl, 1e-6);
  });
});

Deno.test("lossTerms without ε reconstructs from the mean", () => {
  withModel(params(), (m, { x }) => {
    const [got, expected] = tf.tidy(() => [
      lossTerms(m, x, undefined, undefined, lossParams(), 1).recon.dataSync()[0],
      tf.mean(bernoulliNll(decode(m, encode(m, x).mu), x)).dataSync()[0],
    ]);
    assertClose(got, expected, 1e-6);
  });
});

Deno.test("cvae-prior: the KL is measured against the class mean μ^Y", () => {
  withModel(params({ kind: "cvae-prior" }), (m, { x, y, eps }) => {
    const kl = tf.tidy(() => read(lossTerms(m, x, y, eps, lossParams(), 1)).kl);
    const [againstPrior, againstZero, prior] = tf.tidy(() => {
      const { mu, logVar } = encode(m, x, y);
      const muY = priorMean(m, y);
      const mean = (t: tf.Tensor2D) => tf.mean(tf.sum(t, 1)).dataSync()[0];
      return [mean(klPerDim(mu, logVar!, muY)), mean(klPerDim(mu, logVar!)), values1(muY)];
    });
    // μ^Y is row y of the class-mean table.
    const table = values1(m.classMeans!);
    assertEquals(prior, [0, 1, 2, 0].flatMap((c) => table.slice(c * LATENT, (c + 1) * LATENT)));
    assertClose(kl, againstPrior, 1e-6);
    assert_(Math.abs(kl - againstZero) > 1e-3, "the prior mean matters");
  });
});

Deno.test("ae: z = μ whatever ε, and no regularizer", () => {
  withModel(params({ kind: "ae" }), (m, { x, eps }) => {
    const [noisy, clean] = tf.tidy(() => [
      read(lossTerms(m, x, undefined, eps, lossParams(), 1)),
      read(lossTerms(m, x, undefined, undefined, lossParams(), 1)),
    ]);
    assertEquals(noisy, clean);
    assertEquals([noisy.reg, noisy.kl, noisy.muTerm, noisy.sigmaTerm], [0, 0, 0, 0]);
    assertEquals(noisy.loss, noisy.recon);
  });
});

Deno.test("Gaussian decoder: sigmoid means and the Gaussian NLL with log σ² = log(sigma²)", () => {
  for (const variance of ["fixed", "learned"] as const) {
    const p = params({ likelihood: "gaussian", gaussian: { variance, sigma: 0.3 } });
    withModel(p, (m, { x, eps }) => {
      const [got, expected] = tf.tidy(() => {
        const f = forward(m, x, undefined, eps);
        const nll = gaussianNll(f.decoded, x, tf.scalar(2 * Math.log(0.3)));
        return [values1(f.recon), values1(nll)];
      });
      assertClose(got, expected, 1e-4, variance);
    });
  }
});

Deno.test("a learned decoder variance gets a gradient and moves", () => {
  const p = params({ likelihood: "gaussian", gaussian: { variance: "learned", sigma: 0.3 } });
  withModel(p, (m, { x, eps }) => {
    const before = m.decoderLogVar!.dataSync()[0];
    const optimizer = tf.train.adam(0.01);
    tf.dispose(trainStep(m, optimizer, x, undefined, eps, lossParams(), 1));
    assert_(m.decoderLogVar!.dataSync()[0] !== before, "log σ² did not move");
    optimizer.dispose();
  });
});

Deno.test("a training step leaks no tensors, for every kind", () => {
  for (const kind of MODEL_KINDS) {
    withModel(params({ kind }), (m, { x, y, eps }) => {
      const optimizer = tf.train.adam(1e-3);
      const step = () => tf.dispose(trainStep(m, optimizer, x, y, eps, lossParams(), 0.5));
      step(); // the first step creates Adam's moment variables
      const before = tf.memory().numTensors;
      step();
      tf.tidy(() => {
        lossTerms(m, x, y, eps, lossParams(), 1);
      });
      tf.tidy(() => {
        optimizer.minimize(
          () => lossTerms(m, x, y, eps, lossParams(), 1).loss,
          false,
          trainableVariables(m),
        );
      });
      assertEquals(tf.memory().numTensors, before, kind);
      optimizer.dispose();
    });
  }
});

Deno.test("training lowers the loss and is reproducible to the byte", () => {
  const train = () =>
    withModel(params({ kind: "cvae-prior" }), (m, { x, y }) => {
      const optimizer = tf.train.adam(0.01);
      const rng = new Rng(3);
      const losses = Array.from({ length: 60 }, () => {
        const eps = sampleEps(rng, BATCH, LATENT);
        const terms = trainStep(m, optimizer, x, y, eps, lossParams(), 1);
        const loss = terms.loss.dataSync()[0];
        tf.dispose([eps, terms]);
        return loss;
      });
      optimizer.dispose();
      return { losses, weights: values(m) };
    });
  const [a, b] = [train(), train()];
  assert_(a.losses.at(-1)! < a.losses[0] - 0.5, `loss ${a.losses[0]} → ${a.losses.at(-1)}`);
  assertEquals(a, b);
});

Deno.test("the cpu and wasm backends compute the same loss terms", async () => {
  const model = createModel(params({ kind: "cvae-concat" }), INPUT, CLASSES, 5);
  const { x, y, eps } = batch();
  // tfjs moves a tensor's data to the active backend when an op first reads it there.
  const termsOn = async (backend: BackendName) => {
    await initBackend(backend);
    return tf.tidy(() => read(lossTerms(model, x, y, eps, lossParams(), 1)));
  };
  const [wasm, cpu] = [await termsOn("wasm"), await termsOn("cpu")];
  await initBackend("wasm");
  disposeModel(model);
  tf.dispose([x, y, eps]);
  for (const key of Object.keys(wasm) as (keyof LossTerms)[]) {
    assertClose(cpu[key], wasm[key], 1e-4, key);
  }
});
