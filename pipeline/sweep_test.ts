import { join } from "node:path";
import { UserError } from "./errors.ts";
import { parseOverride } from "./overrides.ts";
import { tempDir } from "./stage_testing.ts";
import { expandTargets } from "./sweep.ts";
import { assert_, assertEquals, assertIncludes, assertRejects } from "./test_assert.ts";

const BASE = "data:\n  source: synthetic\nloss:\n  regularizer: kl\n";
const SWEEP = `extends: base.yaml
sweep:
  seeds: [0, 1, 2]
  baseline: kl
  grid:
    train.epochs: [1, 2]
  variants:
    kl: {}
    separate-l2:
      set: { loss.regularizer: separate-l2 }
      grid: { loss.wMu: [0.5, 2], loss.wSigma: [0.25, 1, 4] }
    none:
      set: { loss.regularizer: none }
`;

async function withConfigs<T>(
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await tempDir("sweep-test-");
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(dir, name), text);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a sweep expands to variants × grid points × seeds, each cell named for its place", async () => {
  await withConfigs({ "base.yaml": BASE, "study.yaml": SWEEP }, async (dir) => {
    const { runs, sweeps } = await expandTargets([join(dir, "study.yaml")], [], undefined);
    // kl: 2 epochs values; separate-l2: 2 × 2 × 3; none: 2; all × 3 seeds.
    assertEquals(runs.length, (2 + 2 * 2 * 3 + 2) * 3);
    assertEquals(sweeps.length, 1);
    const [sweep] = sweeps;
    assertEquals(sweep.name, "study");
    assertEquals(sweep.baseline, "kl");
    assertEquals(sweep.axes.map((a) => [a.path, a.label, a.values]), [
      ["train.epochs", "epochs", [1, 2]],
      ["loss.wMu", "wMu", [0.5, 2]],
      ["loss.wSigma", "wSigma", [0.25, 1, 4]],
    ]);
    const names = runs.map((r) => r.config.name);
    assertEquals(names.slice(0, 3), [
      "study/kl/epochs=1/seed0",
      "study/kl/epochs=1/seed1",
      "study/kl/epochs=1/seed2",
    ]);
    assert_(names.includes("study/separate-l2/epochs=2/wMu=0.5/wSigma=4/seed1"));
    assertEquals(new Set(names).size, names.length, "names are distinct");
    const cell = runs.find((r) =>
      r.config.name === "study/separate-l2/epochs=2/wMu=2/wSigma=1/seed2"
    )!;
    assertEquals(cell.config.loss, {
      ...cell.config.loss,
      regularizer: "separate-l2",
      wMu: 2,
      wSigma: 1,
    });
    assertEquals([cell.config.train.epochs, cell.config.seed], [2, 2]);
    assertEquals(cell.cell, {
      sweep: "study",
      variant: "separate-l2",
      point: { "train.epochs": 2, "loss.wMu": 2, "loss.wSigma": 1 },
    });
    assertEquals(cell.group, "study/separate-l2/epochs=2/wMu=2/wSigma=1");
    assertEquals(runs.find((r) => r.cell!.variant === "none")!.config.loss.regularizer, "none");
  });
});

Deno.test("command-line overrides shrink every cell, add axes, and rename the sweep", async () => {
  await withConfigs({ "base.yaml": BASE, "study.yaml": SWEEP }, async (dir) => {
    const overrides = ["train.batchSize=50", "loss.beta=1,4"].map(parseOverride);
    const { runs, sweeps } = await expandTargets([join(dir, "study.yaml")], overrides, [7]);
    assertEquals(runs.length, (2 + 12 + 2) * 2, "--seeds replaces the sweep's seeds");
    assertEquals(sweeps[0].name, "study@train.batchSize=50,loss.beta");
    assert_(runs.every((r) => r.config.train.batchSize === 50 && r.config.seed === 7));
    assertEquals(
      runs[0].config.name,
      "study@train.batchSize=50,loss.beta/kl/epochs=1/beta=1/seed7",
    );
    assertEquals(runs[1].overrides, ["train.batchSize=50", "loss.beta=4"]);
  });
});

Deno.test("a plain config with overrides is one run named for them; with a list, a sweep", async () => {
  await withConfigs({ "vae.yaml": BASE }, async (dir) => {
    const path = join(dir, "vae.yaml");
    const one = await expandTargets([path], [parseOverride("train.epochs=2")], undefined);
    assertEquals(one.runs.map((r) => [r.config.name, r.overrides]), [
      ["vae@train.epochs=2", ["train.epochs=2"]],
    ]);
    assertEquals(one.sweeps, []);
    const seeded = await expandTargets([path], [parseOverride("train.epochs=2")], [0, 1]);
    assertEquals(seeded.runs.map((r) => r.config.name), [
      "vae@train.epochs=2-seed0",
      "vae@train.epochs=2-seed1",
    ]);
    const swept = await expandTargets([path], [parseOverride("loss.beta=1,2,4")], undefined);
    assertEquals(swept.runs.map((r) => r.config.name), [
      "vae@loss.beta/beta=1",
      "vae@loss.beta/beta=2",
      "vae@loss.beta/beta=4",
    ]);
    assertEquals(swept.sweeps[0].baseline, undefined);
  });
});

Deno.test("a bad sweep is one line naming the file, the line, the sweep path and the fix", async () => {
  const cases: [string, string[]][] = [
    [
      "extends: base.yaml\nsweep:\n  variants:\n    a:\n      set: { loss.wSgma: 1 }\n",
      [
        "study.yaml:5",
        "sweep.variants.a.set.loss.wSgma",
        `unknown key loss.wSgma: did you mean "wSigma"?`,
      ],
    ],
    [
      "extends: base.yaml\nsweep:\n  variants:\n    a:\n      grid: { loss.beta: [1, -2] }\n",
      ["study.yaml:5", "sweep.variants.a.grid.loss.beta", "loss.beta must be ≥ 0, got -2"],
    ],
    [
      "extends: base.yaml\nsweep:\n  baseline: kll\n  variants:\n    kl: {}\n",
      ["study.yaml:3", `sweep.baseline "kll" is not a variant; did you mean "kl"?`],
    ],
    ["extends: base.yaml\nsweep:\n  seed: [1]\n", [
      "study.yaml:3",
      `unknown key sweep.seed: did you mean "seeds"?`,
    ]],
    [
      "extends: base.yaml\nsweep:\n  variants:\n    a:\n      sett: {}\n",
      ["study.yaml:5", `unknown key sweep.variants.a.sett: did you mean "set"?`],
    ],
    [
      "extends: base.yaml\nsweep:\n  grid: { loss.beta: [1] }\n  variants:\n    a:\n      set: { loss.beta: 2 }\n",
      ["variant a sets loss.beta twice"],
    ],
    [
      "extends: base.yaml\nsweep:\n  variants:\n    a b: {}\n",
      ["study.yaml", "must be a name of letters, digits"],
    ],
  ];
  for (const [text, says] of cases) {
    await withConfigs({ "base.yaml": BASE, "study.yaml": text }, async (dir) => {
      const error = await assertRejects(() =>
        expandTargets([join(dir, "study.yaml")], [], undefined)
      );
      assert_(error instanceof UserError, String(error));
      assert_(!error.message.includes("\n"), error.message);
      for (const part of says) assertIncludes(error.message, part);
    });
  }
});
