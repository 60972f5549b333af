/**
 * The prepare stage's artifact as later stages read it: dataset.json's card and both splits'
 * tensors, checked against it.
 */
import { join } from "node:path";
import { UserError } from "../../pipeline/errors.ts";
import { readNpy } from "../../lib/npy.ts";
import type { DataParams } from "../config_schema.ts";
import type { Dataset, SourceFile } from "./dataset.ts";

/** dataset.json: what the tensors hold and where they came from. */
export interface DatasetCard {
  source: DataParams["source"];
  sourceFiles: SourceFile[];
  height: number;
  width: number;
  classes: number[];
  counts: { train: Record<string, number>; test: Record<string, number> };
  pixelMean: number;
  pixelStd: number;
  binarize: DataParams["binarize"];
  /** The threshold used, when binarize is static (dynamic sampling happens in training). */
  threshold: number | null;
  seed: number;
}

/** The prepare stage's output, read back: both splits and the dataset card. */
export interface PreparedData {
  train: Dataset;
  test: Dataset;
  card: DatasetCard;
}

/** Read the tensors the prepare stage wrote into `dir`, checking dtypes and shapes agree. */
export async function readPrepared(dir: string): Promise<PreparedData> {
  const card: DatasetCard = JSON.parse(await Deno.readTextFile(join(dir, "dataset.json")));
  return {
    train: await readSplit(dir, "train", card),
    test: await readSplit(dir, "test", card),
    card,
  };
}

async function readSplit(dir: string, split: string, card: DatasetCard): Promise<Dataset> {
  const images = await readNpy(join(dir, `${split}_images.npy`));
  const labels = await readNpy(join(dir, `${split}_labels.npy`));
  const [n, height, width] = images.shape;
  const ok = images.dtype === "<f4" && labels.dtype === "|u1" && labels.shape[0] === n &&
    height === card.height && width === card.width;
  if (!ok) {
    throw new UserError(
      `${dir}: ${split} tensors do not match dataset.json (images ${images.dtype} ` +
        `[${images.shape}], labels ${labels.dtype} [${labels.shape}]); re-run prepare with --force`,
    );
  }
  return {
    images: images.data as Float32Array,
    labels: labels.data as Uint8Array,
    height,
    width,
  };
}
