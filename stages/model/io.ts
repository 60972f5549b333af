/**
 * Saving and loading models, two ways:
 * - checkpoints: every named parameter, raw float32, `<stem>.json` (names, shapes, dtypes) +
 *   `<stem>.bin`; they round-trip byte for byte (also good for optimizer state);
 * - the tfjs layers format (model.json + weights.bin per net) that tf.loadLayersModel reads:
 *   the artifact other tools use. See saveLayers for what each net computes.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { settleAll } from "../../lib/settle_all.ts";
import type { ModelParams } from "../config_schema.ts";
import { capabilitiesOf } from "./kinds.ts";
import { buildModel, type DenseParams, type Model, namedWeights } from "./networks.ts";

const TENSORS_FORMAT = "vae-pipeline-tensors/1";

/** A tensor with its name (what tf.io.encodeWeights and optimizer.getWeights use). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** How a file's bytes reach the disk; a caller may pass one that also fsyncs (checkpoints). */
export type WriteFile = (path: string, data: Uint8Array) => Promise<void>;

/**
 * Named float32 tensors as the bytes of `<stem>.json` (names, shapes, dtypes) and
 * `<stem>.bin` (their values, one after another): what tf.io.encodeWeights makes for them,
 * read synchronously in one pass (its per-tensor promises cost a checkpoint ~15 ms).
 */
export function encodeTensors(tensors: NamedTensor[]): { json: Uint8Array; bin: Uint8Array } {
  const specs = tensors.map(({ name, tensor }) => {
    if (tensor.dtype !== "float32") {
      throw new Error(`encodeTensors: ${name} is ${tensor.dtype}; only float32 is written`);
    }
    return { name, shape: tensor.shape, dtype: tensor.dtype };
  });
  const bin = new Float32Array(tensors.reduce((n, { tensor }) => n + tensor.size, 0));
  let at = 0;
  for (const { tensor } of tensors) {
    bin.set(tensor.dataSync() as Float32Array, at);
    at += tensor.size;
  }
  const json = JSON.stringify({ format: TENSORS_FORMAT, weights: specs }, null, 2) + "\n";
  return { json: new TextEncoder().encode(json), bin: new Uint8Array(bin.buffer) };
}

/** Write named tensors as `<stem>.json` + `<stem>.bin` in `dir` (created if needed). */
export async function writeTensors(
  dir: string,
  stem: string,
  tensors: NamedTensor[],
  write: WriteFile = (path, data) => Deno.writeFile(path, data),
): Promise<void> {
  const { json, bin } = encodeTensors(tensors);
  await Deno.mkdir(dir, { recursive: true });
  await settleAll([write(join(dir, `${stem}.json`), json), write(join(dir, `${stem}.bin`), bin)]);
}

/** Read what writeTensors wrote, in its order. The caller owns (and disposes) the tensors. */
export async function readTensors(dir: string, stem: string): Promise<NamedTensor[]> {
  const path = join(dir, `${stem}.json`);
  const manifest = JSON.parse(await Deno.readTextFile(path));
  if (manifest.format !== TENSORS_FORMAT) {
    throw new Error(`${path}: format is ${manifest.format}, expected ${TENSORS_FORMAT}`);
  }
  const bytes = await Deno.readFile(join(dir, `${stem}.bin`));
  const map = tf.io.decodeWeights(bytes.buffer as ArrayBuffer, manifest.weights);
  return (manifest.weights as tf.io.WeightsManifestEntry[]).map(({ name }) => ({
    name,
    tensor: map[name],
  }));
}

/** Every parameter of the model, as `weights.json` + `weights.bin`. */
export function saveCheckpoint(model: Model, dir: string): Promise<void> {
  return writeTensors(dir, "weights", namedWeights(model));
}

/**
 * Assign a checkpoint's values to the model's variables in place (so an optimizer holding
 * them keeps working). Names and shapes must match exactly: a checkpoint of another
 * architecture is an error, not a partial load.
 */
export async function loadCheckpoint(model: Model, dir: string): Promise<void> {
  const saved = await readTensors(dir, "weights");
  try {
    const expected = namedWeights(model);
    const describe = (ws: NamedTensor[]) => ws.map((w) => `${w.name}[${w.tensor.shape}]`);
    const [want, got] = [describe(expected), describe(saved)];
    if (want.join() !== got.join()) {
      throw new Error(
        `${dir}: checkpoint holds ${got.join(", ")}; the model needs ${want.join(", ")}`,
      );
    }
    expected.forEach((w, i) => w.tensor.assign(saved[i].tensor));
  } finally {
    tf.dispose(saved.map((w) => w.tensor));
  }
}

/** A tfjs IOHandler on a directory: model.json + weights.bin, as tfjs-node's file:// writes. */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const { weightSpecs = [], weightData = new ArrayBuffer(0), ...rest } = artifacts;
      const weightsManifest = [{ paths: ["weights.bin"], weights: weightSpecs }];
      await Deno.mkdir(dir, { recursive: true });
      const json = JSON.stringify({ ...rest, weightsManifest }, null, 2) + "\n";
      await Deno.writeTextFile(join(dir, "model.json"), json);
      const bytes = tf.io.CompositeArrayBuffer.join(weightData);
      await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array(bytes));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const files = manifest.flatMap((group) => group.paths);
        const buffers = await Promise.all(files.map((p) => Deno.readFile(join(dir, p))));
        const parts = buffers.map((b) => b.slice().buffer as ArrayBuffer);
        return [specs, tf.io.CompositeArrayBuffer.join(parts)];
      });
    },
  };
}

/** A layer of an exported net: its weights and Keras activation. */
interface ExportLayer {
  name: string;
  kernel: tf.Tensor2D;
  bias?: tf.Tensor1D;
  activation: "linear" | "sigmoid" | ModelParams["activation"];
}

/** An equivalent tf.layers sequential net with our weights, saved to `dir`. */
async function saveSequential(
  dir: string,
  name: string,
  layers: ExportLayer[],
  metadata: Record<string, unknown>,
): Promise<void> {
  const net = tfl.sequential({ name });
  layers.forEach((l, i) =>
    net.add(tfl.layers.dense({
      name: l.name,
      units: l.kernel.shape[1],
      activation: l.activation,
      useBias: l.bias !== undefined,
      kernelInitializer: "zeros", // overwritten just below: no random draw
      inputShape: i === 0 ? [l.kernel.shape[0]] : undefined,
    }))
  );
  net.setWeights(layers.flatMap((l) => (l.bias ? [l.kernel, l.bias] : [l.kernel])));
  net.setUserDefinedMetadata({ vaePipeline: metadata });
  try {
    await net.save(fileHandler(dir));
  } finally {
    net.dispose();
  }
}

const hiddenLayers = (prefix: string, layers: DenseParams[], params: ModelParams) =>
  layers.map((l, i): ExportLayer => ({
    name: `${prefix}_hidden_${i}`,
    kernel: l.kernel,
    bias: l.bias,
    activation: params.activation,
  }));

/**
 * The model in the tfjs layers format, one net per subdirectory of `dir`:
 * - encoder/: x (with the one-hot label appended for cvae-concat) → [μ | log σ²], one
 *   [batch, 2·latentDim] output (just μ for ae);
 * - decoder/: z (with the label appended for cvae-concat) → pixel means in (0, 1) (sigmoid);
 *   a Gaussian decoder's log σ² is in model.json's userDefinedMetadata;
 * - prior/ (cvae-prior only): one-hot label → μ^Y, a dense layer without bias.
 * Each model.json's userDefinedMetadata.vaePipeline says what the net is.
 */
export async function saveLayers(model: Model, dir: string): Promise<void> {
  const { params } = model;
  const about = {
    kind: params.kind,
    latentDim: params.latentDim,
    likelihood: params.likelihood,
    inputDim: model.inputDim,
    numClasses: model.numClasses,
  };
  // μ and log σ² heads side by side: one Dense layer, as a sequential net needs one output.
  const heads = [model.mu, ...(model.logVar ? [model.logVar] : [])];
  const kernel = tf.concat(heads.map((h) => h.kernel), 1);
  const bias = tf.concat(heads.map((h) => h.bias));
  try {
    await saveSequential(join(dir, "encoder"), "encoder", [
      ...hiddenLayers("encoder", model.encoder, params),
      { name: "encoder_head", kernel, bias, activation: "linear" },
    ], { ...about, net: "encoder", output: model.logVar ? "[mu | logVar]" : "mu" });
  } finally {
    tf.dispose([kernel, bias]);
  }
  const output = model.decoder[model.decoder.length - 1];
  const logVar = params.likelihood === "gaussian"
    ? { logVar: await decoderLogVarValue(model) }
    : {};
  await saveSequential(join(dir, "decoder"), "decoder", [
    ...hiddenLayers("decoder", model.decoder.slice(0, -1), params),
    { name: "decoder_output", kernel: output.kernel, bias: output.bias, activation: "sigmoid" },
  ], { ...about, net: "decoder", output: "pixel means", ...logVar });
  if (model.classMeans) {
    await saveSequential(join(dir, "prior"), "prior", [
      { name: "prior_class_means", kernel: model.classMeans, activation: "linear" },
    ], { ...about, net: "prior", output: "mu^Y" });
  }
}

async function decoderLogVarValue(model: Model): Promise<number> {
  if (!model.decoderLogVar) return 2 * Math.log(model.params.gaussian.sigma);
  return (await model.decoderLogVar.data())[0];
}

/**
 * A model from a saveLayers directory, read back through tf.loadLayersModel. `params`,
 * `inputDim` and `numClasses` must describe the saved model; any shape mismatch is an error.
 */
export async function loadLayers(
  dir: string,
  params: ModelParams,
  inputDim: number,
  numClasses: number,
): Promise<Model> {
  const withPrior = capabilitiesOf(params.kind).learnedPriorMean;
  const nets = ["encoder", "decoder", ...(withPrior ? ["prior"] : [])];
  const loaded = await Promise.all(nets.map((n) => tfl.loadLayersModel(fileHandler(join(dir, n)))));
  const values = new Map<string, tf.Tensor>();
  try {
    const [encoder, decoder, prior] = loaded;
    collect(values, "encoder", encoder.getWeights(), params);
    collect(values, "decoder", decoder.getWeights(), params);
    if (prior) values.set("prior/class_means", tf.clone(prior.getWeights()[0]));
    const meta = (decoder.getUserDefinedMetadata() as { vaePipeline?: { logVar?: number } })
      .vaePipeline;
    if (meta?.logVar !== undefined) values.set("decoder/log_var", tf.scalar(meta.logVar));
    return buildModel(params, inputDim, numClasses, (name) => {
      const value = values.get(name);
      if (!value) throw new Error(`${dir}: no saved value for ${name}`);
      return tf.clone(value); // buildModel disposes what init returns
    });
  } finally {
    tf.dispose([...values.values()]);
    loaded.forEach((m) => m.dispose());
  }
}

/**
 * Name (copies of) a net's [kernel, bias, …] weights as namedWeights does, splitting the
 * encoder head back into μ and log σ².
 */
function collect(
  values: Map<string, tf.Tensor>,
  net: "encoder" | "decoder",
  weights: tf.Tensor[],
  params: ModelParams,
): void {
  const pairs = weights.length / 2;
  for (let i = 0; i < pairs - 1; i++) {
    values.set(`${net}/hidden_${i}/kernel`, tf.clone(weights[2 * i]));
    values.set(`${net}/hidden_${i}/bias`, tf.clone(weights[2 * i + 1]));
  }
  const [kernel, bias] = weights.slice(-2);
  if (net === "decoder") {
    values.set("decoder/output/kernel", tf.clone(kernel));
    values.set("decoder/output/bias", tf.clone(bias));
    return;
  }
  const heads = capabilitiesOf(params.kind).stochastic ? ["mu", "log_var"] : ["mu"];
  tf.split(kernel, heads.length, 1).forEach((k, i) => values.set(`encoder/${heads[i]}/kernel`, k));
  tf.split(bias, heads.length).forEach((b, i) => values.set(`encoder/${heads[i]}/bias`, b));
}
