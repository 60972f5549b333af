import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configSchema } from "../config_schema.ts";
import { assertEquals } from "../../pipeline/test_assert.ts";
import { keyedDataPaths, readableDataPaths } from "./data_paths.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("data paths inside the project are keyed relative to it, and read back absolute", () => {
  const data = configSchema.parse({
    data: {
      source: "idx",
      idx: {
        trainImages: join(ROOT, "data", "train-images.gz"),
        trainLabels: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
      },
      csv: { path: join(ROOT, "configs", "pixels.csv") },
    },
  }).data;
  const keyed = keyedDataPaths(data);
  assertEquals(keyed.idx, {
    trainImages: join("data", "train-images.gz"),
    trainLabels: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
  });
  assertEquals(keyed.csv?.path, join("configs", "pixels.csv"));
  assertEquals(readableDataPaths(keyed), data);
  // Sources without files pass through untouched.
  const mnist = configSchema.parse({}).data;
  assertEquals(keyedDataPaths(mnist), mnist);
});
