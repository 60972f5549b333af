import { withTempDir } from "../../pipeline/stage_testing.ts";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { type ModelParams, modelSchema } from "../config_schema.ts";
import { Rng } from "../../lib/rng.ts";
import {
  assertClose,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "../../pipeline/test_assert.ts";
import { initBackend } from "./backend.ts";
import { capabilitiesOf } from "./kinds.ts";
import {
  encodeTensors,
  fileHandler,
  loadCheckpoint,
  loadLayers,
  readTensors,
  saveCheckpoint,
  saveLayers,
  writeTensors,
} from "./io.ts";
import {
  createModel,
  decodeMean,
  disposeModel,
  encode,
  type Model,
  namedWeights,
  oneHot,
  priorMean,
} from "./networks.ts";

await initBackend("wasm");

const [INPUT, CLASSES] = [6, 3];
const params = (overrides: Partial<ModelParams> = {}) =>
  modelSchema.parse({ hidden: [5], latentDim: 2, ...overrides });
const KINDS: Partial<ModelParams>[] = [
  { kind: "vae" },
  { kind: "ae" },
  { kind: "cvae-concat" },
  { kind: "cvae-prior", hidden: [5, 4] },
  { likelihood: "gaussian", gaussian: { variance: "learned", sigma: 0.2 } },
];

const bytesOf = (m: Model) =>
  namedWeights(m).map((w) => `${w.name}:${new Uint8Array(w.tensor.dataSync().buffer)}`);
const readAll = async (dir: string) => {
  const files: Record<string, Uint8Array> = {};
  for await (const e of Deno.readDir(dir)) {
    files[e.name] = e.isFile ? await Deno.readFile(join(dir, e.name)) : new Uint8Array();
  }
  return files;
};

Deno.test("a checkpoint round-trips byte for byte", async () => {
  await withTempDir(async (dir) => {
    const p = params({ kind: "cvae-prior" });
    const [a, b] = [createModel(p, INPUT, CLASSES, 1), createModel(p, INPUT, CLASSES, 2)];
    assertNotEquals(bytesOf(a), bytesOf(b));
    await saveCheckpoint(a, join(dir, "a"));
    await loadCheckpoint(b, join(dir, "a"));
    assertEquals(bytesOf(b), bytesOf(a));
    await saveCheckpoint(b, join(dir, "b"));
    assertEquals(await readAll(join(dir, "b")), await readAll(join(dir, "a")));
    [a, b].forEach(disposeModel);
  });
});

Deno.test("loading a checkpoint of another architecture is an error", async () => {
  await withTempDir(async (dir) => {
    const vae = createModel(params(), INPUT, CLASSES, 1);
    const prior = createModel(params({ kind: "cvae-prior" }), INPUT, CLASSES, 1);
    await saveCheckpoint(vae, dir);
    await assertRejects(() => loadCheckpoint(prior, dir), "prior/class_means[3,2]");
    [vae, prior].forEach(disposeModel);
  });
});

Deno.test("writeTensors / readTensors keep names, order and values (optimizer state too)", async () => {
  await withTempDir(async (dir) => {
    const tensors = [
      { name: "iter", tensor: tf.scalar(7) },
      { name: "b/m", tensor: tf.tensor2d([[1.5, -2], [3, 4e-30]]) },
    ];
    await writeTensors(dir, "optimizer", tensors);
    const back = await readTensors(dir, "optimizer");
    assertEquals(back.map((t) => t.name), ["iter", "b/m"]);
    assertEquals(back.map((t) => Array.from(t.tensor.dataSync())), [[7], [
      1.5,
      -2,
      3,
      Math.fround(4e-30),
    ]]);
    tf.dispose([...tensors, ...back].map((t) => t.tensor));
  });
});

Deno.test("encodeTensors makes tf.io.encodeWeights's bytes, and refuses what is not float32", async () => {
  const tensors = [
    { name: "w", tensor: tf.tensor2d([[1.5, -2, 0], [3, 4e-30, -0]]) },
    { name: "b", tensor: tf.tensor1d([0.25]) },
    { name: "s", tensor: tf.scalar(-7) },
  ];
  const { json, bin } = encodeTensors(tensors);
  const { data, specs } = await tf.io.encodeWeights(tensors);
  assertEquals(Array.from(bin), Array.from(new Uint8Array(data)));
  assertEquals(JSON.parse(new TextDecoder().decode(json)).weights, specs);
  const ints = [{ name: "n", tensor: tf.tensor1d([1], "int32") }];
  assertThrows(() => encodeTensors(ints), "n is int32; only float32 is written");
  tf.dispose([...tensors, ...ints].map((t) => t.tensor));
});

Deno.test("saveLayers: tf.loadLayersModel reads nets that compute what the model does", async () => {
  for (const overrides of KINDS) {
    await withTempDir(async (dir) => {
      const p = params(overrides);
      const model = createModel(p, INPUT, CLASSES, 4);
      await saveLayers(model, dir);
      const rng = new Rng(9);
      const x = tf.tensor2d(Array.from({ length: 2 * INPUT }, () => rng.uniform()), [2, INPUT]);
      const y = oneHot([2, 0], CLASSES);
      const concat = capabilitiesOf(p.kind).labelInput;
      const encoder = await tfl.loadLayersModel(fileHandler(join(dir, "encoder")));
      const decoder = await tfl.loadLayersModel(fileHandler(join(dir, "decoder")));
      const [ours, theirs] = tf.tidy(() => {
        const { mu, logVar } = encode(model, x, y);
        const ourEncoder = logVar ? tf.concat([mu, logVar], 1) : mu;
        const encoderIn = concat ? tf.concat([x, y], 1) : x;
        const decoderIn = concat ? tf.concat([mu, y], 1) : mu;
        const predict = (net: tfl.LayersModel, t: tf.Tensor) => net.predict(t) as tf.Tensor;
        return [
          [ourEncoder, decodeMean(model, mu, y)].map((t) => Array.from(t.dataSync())),
          [predict(encoder, encoderIn), predict(decoder, decoderIn)].map((t) =>
            Array.from(t.dataSync())
          ),
        ];
      });
      const kind = JSON.stringify(overrides);
      assertClose(theirs[0], ours[0], 1e-5, `${kind} encoder`);
      assertClose(theirs[1], ours[1], 1e-5, `${kind} decoder`);
      if (capabilitiesOf(p.kind).learnedPriorMean) {
        const prior = await tfl.loadLayersModel(fileHandler(join(dir, "prior")));
        const [a, b] = tf.tidy(() =>
          [priorMean(model, y), prior.predict(y) as tf.Tensor].map((t) => Array.from(t.dataSync()))
        );
        assertClose(b, a, 1e-6, "prior");
        prior.dispose();
      }
      [encoder, decoder].forEach((n) => n.dispose());
      tf.dispose([x, y]);
      disposeModel(model);
    });
  }
});

Deno.test("loadLayers rebuilds the model exactly, and saving is deterministic", async () => {
  for (const overrides of KINDS) {
    await withTempDir(async (dir) => {
      const p = params(overrides);
      const model = createModel(p, INPUT, CLASSES, 4);
      // A learned variance away from its initial value, so the metadata path is exercised.
      model.decoderLogVar?.assign(tf.scalar(-1.2345678));
      await saveLayers(model, join(dir, "a"));
      const back = await loadLayers(join(dir, "a"), p, INPUT, CLASSES);
      assertEquals(bytesOf(back), bytesOf(model), JSON.stringify(overrides));
      await saveLayers(back, join(dir, "b"));
      for (const net of ["encoder", "decoder", ...(model.classMeans ? ["prior"] : [])]) {
        assertEquals(await readAll(join(dir, "b", net)), await readAll(join(dir, "a", net)), net);
      }
      [model, back].forEach(disposeModel);
    });
  }
});

Deno.test("model.json names its layers and weights stably", async () => {
  await withTempDir(async (dir) => {
    const model = createModel(params(), INPUT, CLASSES, 4);
    await saveLayers(model, dir);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "encoder", "model.json")));
    assertEquals(json.format, "layers-model");
    assertEquals(
      json.weightsManifest[0].weights.map((w: { name: string }) => w.name),
      [
        "encoder_hidden_0/kernel",
        "encoder_hidden_0/bias",
        "encoder_head/kernel",
        "encoder_head/bias",
      ],
    );
    assertEquals(json.userDefinedMetadata.vaePipeline.output, "[mu | logVar]");
    disposeModel(model);
  });
});
