import { assert_, assertEquals, assertIncludes, assertThrows } from "../pipeline/test_assert.ts";
import {
  agreementWarnings,
  alignColumns,
  epochRounds,
  speedRatio,
  stepTable,
  summaryLine,
  trainingTable,
} from "./bench_output.ts";
import { gflopsPerSecond, stepFlops } from "./flops.ts";
import { noiseWarnings, spread } from "./rounds.ts";
import { PINNING_VARIABLES, torchEnv } from "./torch_child.ts";
import { OPTIONS, parseOptions, USAGE } from "./train_speed.ts";
import { benchConfig } from "./whole_training.ts";

Deno.test("bench: the step's FLOPs are the matrix products counted by hand", () => {
  // 784-512-20 at batch 128, 2·B·in·out per product:
  //   encoder 784→512: forward, ∂W (no ∂x: its input is data)  2 × 2·128·784·512 = 205,520,896
  //   μ and log σ² 512→20: forward, ∂W, ∂x, each       2 × 3 × 2·128·512·20 =  15,728,640
  //   decoder 20→512: forward, ∂W, ∂x (z needs it)         3 × 2·128·20·512 =   7,864,320
  //   decoder 512→784: forward, ∂W, ∂x                    3 × 2·128·512·784 = 308,281,344
  assertEquals(stepFlops({ input: 784, hidden: [512], latent: 20, batch: 128 }), 537_395_200);
  // No hidden layer: both heads read the data, so neither has an input gradient.
  // heads 2 × 2 × 2·3·4·2 = 192, decoder 2→4: 3 × 2·3·2·4 = 144
  assertEquals(stepFlops({ input: 4, hidden: [], latent: 2, batch: 3 }), 336);
  // 12,800 samples/s at batch 128 is 100 steps/s.
  assertEquals(gflopsPerSecond(537_395_200, 128, 12_800), 53.73952);
});

Deno.test("bench: ratios and tables are aligned text", () => {
  assertEquals(speedRatio(3000, 12000), "0.25×");
  assertEquals(speedRatio(12600, 12000), "1.05×");
  assertEquals(alignColumns([["side", "s"], ["tfjs blas", "1.5"], ["torch", "12.25"]]), [
    "side           s",
    "tfjs blas    1.5",
    "torch      12.25",
  ]);
  const step = stepTable(
    [
      { result: { label: "tfjs wasm", rounds: [3000, 2900, 2800] }, kernel: "" },
      {
        result: { label: "torch 2 threads", rounds: [12800, 12000, 12400] },
        kernel: "Zen, 2 threads",
      },
    ],
    537_395_200,
    128,
    100,
  );
  assertEquals(step, [
    "side             samples/s  median  GFLOP/s  of peak  BLAS kernel     rounds",
    "tfjs wasm             3000    2900     12.6    12.6%  —               3000 2900 2800",
    "torch 2 threads      12800   12400     53.7    53.7%  Zen, 2 threads  12800 12000 12400",
  ]);
  const side = {
    label: "tfjs blas",
    epochSeconds: [2, 1, 1],
    finalLoss: 150.123,
    steps: 240,
    examples: 8000,
    kernel: "Haswell, 2 threads",
  };
  assertEquals(trainingTable([side]), [
    "side       loop s  samples/s  steps  final loss  BLAS kernel",
    "tfjs blas     4.0       6000    240      150.12  Haswell, 2 threads",
  ]);
  // The first epoch pays for warm-up: it is no round of the noise check.
  assertEquals(epochRounds(side).rounds, [8000, 8000]);
});

Deno.test("bench: rounds more than 20% apart are flagged, steady ones are not", () => {
  const steady = { label: "tfjs wasm", rounds: [3000, 2900, 2850] };
  const busy = { label: "torch 2 threads", rounds: [7000, 5000, 6900] };
  assertEquals(Math.round(spread(busy) * 100), 29);
  assertEquals(noiseWarnings([steady]), []);
  const warnings = noiseWarnings([steady, busy]);
  assertEquals(warnings.length, 1);
  assertIncludes(warnings[0], "torch 2 threads rounds differ by 29%");
  // One round (or one epoch after the first) has nothing to disagree with.
  assertEquals(noiseWarnings([{ label: "x", rounds: [1] }]), []);
  assertIncludes(noiseWarnings([busy], "epochs")[0], "torch 2 threads epochs differ");
});

Deno.test("bench: the PyTorch child's environment drops the OpenBLAS pins, the parent's keeps them", () => {
  const before = Deno.env.toObject();
  const parent = { ...before, OPENBLAS_CORETYPE: "Haswell", OPENBLAS_L2_SIZE: "512", HOME: "/h" };
  const child = torchEnv(parent);
  for (const name of PINNING_VARIABLES) assert_(!(name in child), `${name} reached the child`);
  assertEquals(child.HOME, "/h");
  assertEquals(parent.OPENBLAS_CORETYPE, "Haswell"); // the object given is not edited
  assertEquals(Deno.env.toObject(), before); // nor is this process's environment
});

Deno.test("bench: every option is documented and parsed; a bad count is one line", () => {
  for (const name of Object.keys(OPTIONS)) assertIncludes(USAGE, `--${name}`);
  assertEquals(parseOptions(["--help"]), undefined);
  assertEquals(parseOptions(["--steps", "5", "--epochs=2", "--skip-training"]), {
    steps: 5,
    rounds: 3,
    warmup: 10,
    epochs: 2,
    skipTraining: true,
    skipEvaluate: false,
  });
  assertEquals(parseOptions(["--skip-evaluate"])?.skipEvaluate, true);
  assertThrows(() => parseOptions(["--rounds", "0"]), "--rounds must be an integer ≥ 1, got 0");
  assertThrows(() => parseOptions(["--epochs", "1.5"]), "--epochs must be an integer ≥ 1");
});

Deno.test("bench: the temporary config extends the real one by its absolute path", () => {
  const text = benchConfig("configs/vae.yaml", "blas", 2);
  assertIncludes(text, `extends: "${Deno.cwd()}/configs/vae.yaml"`);
  assertIncludes(text, "backend: blas\n");
  assertIncludes(text, "train:\n  epochs: 2\n");
  assert_(!benchConfig("configs/vae.yaml", "wasm").includes("epochs"));
});

Deno.test("bench: the summary names PyTorch's fastest row when it is not the reference", () => {
  const torch = [{ label: "torch 1 thread", speed: 6000 }, {
    label: "torch 2 threads",
    speed: 3000,
  }];
  assertEquals(
    summaryLine("step:", { label: "tfjs blas", speed: 12000 }, torch),
    "step:           tfjs blas / torch 2 threads = 4.00×  (target ≥ 1.0×); " +
      "/ torch 1 thread, PyTorch's fastest here: 2.00×",
  );
  assertEquals(
    summaryLine("step:", { label: "tfjs blas", speed: 3000 }, torch.slice(1)),
    "step:           tfjs blas / torch 2 threads = 1.00×  (target ≥ 1.0×)",
  );
});

Deno.test("bench: sides that trained differently are named", () => {
  const side = (label: string, finalLoss: number, steps = 2400) => ({
    label,
    epochSeconds: [1],
    finalLoss,
    steps,
    examples: 8000,
    kernel: "",
  });
  // 150 against 152: 1.3% apart, as other random draws land.
  assertEquals(agreementWarnings([side("tfjs wasm", 150), side("torch 1 thread", 152)]), []);
  const [budget, loss] = agreementWarnings([side("tfjs wasm", 150), side("torch", 180, 2320)]);
  assertIncludes(budget, "torch ran 2320 steps over 8000 examples, tfjs wasm 2400 over 8000");
  assertIncludes(loss, "torch's final loss 180.00 is 20% from tfjs wasm's 150.00");
  assertEquals(agreementWarnings([side("a", 150), side("b", NaN)]).length, 1);
});
