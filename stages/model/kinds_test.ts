import * as tf from "@tensorflow/tfjs-core";
import { modelSchema } from "../config_schema.ts";
import { assertEquals, assertThrows } from "../../pipeline/test_assert.ts";
import { initBackend } from "./backend.ts";
import { capabilitiesOf, MODEL_KINDS } from "./kinds.ts";
import { createModel, disposeModel, forward, type Model } from "./networks.ts";

await initBackend("wasm");

const [INPUT, CLASSES, LATENT] = [6, 3, 2];

/** Whether a forward pass without labels refuses to run. */
function needsLabels(model: Model): boolean {
  const x = tf.zeros<tf.Rank.R2>([2, INPUT]);
  try {
    tf.dispose(forward(model, x, undefined, undefined));
    return false;
  } catch (e) {
    if (e instanceof Error && e.message.includes("needs one-hot labels")) return true;
    throw e;
  } finally {
    x.dispose();
  }
}

/** What a built model does, read from its nets, not from its kind's record. */
function observed(model: Model) {
  return {
    conditional: needsLabels(model),
    labelInput: model.encoder[0].kernel.shape[0] === INPUT + CLASSES &&
      model.decoder[0].kernel.shape[0] === LATENT + CLASSES,
    learnedPriorMean: model.classMeans !== undefined,
    stochastic: model.logVar !== undefined,
  };
}

Deno.test("each kind's capabilities are what its built model does", () => {
  for (const kind of MODEL_KINDS) {
    const model = createModel(
      modelSchema.parse({ kind, hidden: [5], latentDim: LATENT }),
      INPUT,
      CLASSES,
      1,
    );
    try {
      assertEquals(observed(model), { ...capabilitiesOf(kind) }, kind);
    } finally {
      disposeModel(model);
    }
  }
});

Deno.test("capabilitiesOf: an unknown kind is an error that lists the known ones", () => {
  assertThrows(() => capabilitiesOf("gan"), 'unknown model kind "gan" (known: vae, ');
});
