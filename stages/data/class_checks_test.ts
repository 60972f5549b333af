import assert from "node:assert/strict";
import { join } from "node:path";
import { dataSchema } from "../config_schema.ts";
import { UserError } from "../../pipeline/errors.ts";
import { tempDir, testContext } from "../../pipeline/stage_testing.ts";
import { prepare } from "../prepare.ts";
import { encodeIdx } from "./idx.ts";

/**
 * What prepare checks about classes once IDX or CSV labels are known (mnist and synthetic are
 * checked when the config loads): each failure is one line naming the data and the config key,
 * and outDir stays empty, so nothing is stored that training would then fail on.
 */

Deno.test("prepare refuses data with one class, or a limit below the class count, before writing", async () => {
  const dir = await tempDir("class-checks-");
  try {
    const images = join(dir, "images.idx");
    const labels = join(dir, "labels.idx");
    const oneClass = join(dir, "one-class.idx");
    await Deno.writeFile(images, encodeIdx(new Uint8Array(6 * 4), [6, 2, 2]));
    await Deno.writeFile(labels, encodeIdx(Uint8Array.from([0, 1, 2, 0, 1, 2]), [6]));
    await Deno.writeFile(oneClass, encodeIdx(new Uint8Array(6).fill(3), [6]));
    const idx = (trainLabels: string) => ({
      source: "idx",
      idx: { trainImages: images, trainLabels },
    });
    const cases: [string, unknown, RegExp][] = [
      [
        "one class in the data",
        { ...idx(oneClass), testFraction: 0.5 },
        /holds only class 3; training needs at least 2 classes .*: fix data\.classes/,
      ],
      [
        "a limit below the class count",
        { ...idx(labels), testFraction: 0.5, limit: { train: 2 } },
        /has 3 classes but data\.limit\.train is 2; set it to at least 3/,
      ],
      [
        "a class the data does not have",
        { ...idx(labels), classes: [1, 7] },
        /has no examples of class 7 \(it has 0, 1, 2\); fix data\.classes/,
      ],
    ];
    for (const [name, data, says] of cases) {
      const ctx = await testContext({ seed: 0, data: dataSchema.parse(data) }, { dir });
      await assert.rejects(prepare(ctx), (e: unknown) => {
        assert.ok(e instanceof UserError, `${name}: ${e}`);
        assert.ok(e.message.startsWith(`${images}: `), `${name}: ${e.message}`);
        assert.match(e.message, says, name);
        assert.ok(!e.message.includes("\n"), name);
        return true;
      });
      assert.deepEqual([...Deno.readDirSync(ctx.outDir)], [], `${name}: wrote into outDir`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
