import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";

/** Named float32 tensors, as stored: where each one's values sit in the .bin file. */
interface TensorIndex {
  tensors: { name: string; shape: number[]; offset: number }[];
}

/**
 * Save named tensors as `<stem>.json` (names, shapes, offsets) + `<stem>.bin` (raw little-
 * endian float32, in the given order). Exact: reading back gives the same bits, which is
 * what resuming needs to end with the same weights as an uninterrupted run.
 */
export async function saveTensors(
  dir: string,
  stem: string,
  named: { name: string; tensor: tf.Tensor }[],
): Promise<void> {
  const index: TensorIndex = { tensors: [] };
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = tensor.dataSync() as Float32Array;
    index.tensors.push({ name, shape: tensor.shape, offset });
    parts.push(values);
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  await Deno.writeFile(join(dir, `${stem}.bin`), new Uint8Array(all.buffer));
  await Deno.writeTextFile(join(dir, `${stem}.json`), JSON.stringify(index, null, 1) + "\n");
}

/** Read tensors saved by saveTensors, as new tensors the caller owns. */
export async function loadTensors(
  dir: string,
  stem: string,
): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const index: TensorIndex = JSON.parse(await Deno.readTextFile(join(dir, `${stem}.json`)));
  const bytes = await Deno.readFile(join(dir, `${stem}.bin`));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return index.tensors.map(({ name, shape, offset }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return { name, tensor: tf.tensor(all.slice(offset, offset + size), shape) };
  });
}

/** Overwrite variables with saved values, matching by name; every name must be present. */
export function assignByName(
  variables: { name: string; tensor: tf.Variable }[],
  saved: { name: string; tensor: tf.Tensor }[],
): void {
  const byName = new Map(saved.map((s) => [s.name, s.tensor]));
  for (const { name, tensor } of variables) {
    const value = byName.get(name);
    if (!value) throw new Error(`saved weights have no tensor named ${name}`);
    tensor.assign(value);
  }
}
