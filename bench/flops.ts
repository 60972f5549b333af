/**
 * The floating-point work of one VAE training step, so a benchmark can say how close each
 * side comes to the machine's matrix-product peak (GFLOP/s achieved vs sgemm's).
 *
 * Only the matrix products are counted (2·m·n·k each): they are nearly all the work, and
 * they are what a BLAS peak measures. Element-wise work (activations, the loss, biases,
 * Adam) is left out, so the achieved figure is a slight undercount on both sides alike.
 */

/** The layer sizes of a VAE with an MLP encoder and a mirrored decoder. */
export interface VaeShape {
  input: number;
  hidden: number[];
  latent: number;
  batch: number;
}

/** 2·m·n·k: the multiply-adds of one [m, k]·[k, n] product, counted as two FLOPs each. */
const product = (m: number, n: number, k: number) => 2 * m * n * k;

/**
 * FLOPs of the matrix products of one training step: for every dense layer in → out at batch
 * B, the forward product x·W and the weight gradient xᵀ·dy (B·in·out each), and the input
 * gradient dy·Wᵀ (B·in·out) except where the input is the data: the encoder's first layer
 * (or, with no hidden layer, both heads) need none, and neither our code nor PyTorch
 * computes it (x requires no gradient there). The decoder's first layer does need it: z
 * depends on μ and log σ².
 */
export function stepFlops({ input, hidden, latent, batch }: VaeShape): number {
  const layer = (from: number, to: number, inputGrad: boolean) =>
    (inputGrad ? 3 : 2) * product(batch, to, from);
  const encoder = [input, ...hidden];
  let flops = 0;
  for (let i = 1; i < encoder.length; i++) flops += layer(encoder[i - 1], encoder[i], i > 1);
  const top = encoder.at(-1)!;
  flops += 2 * layer(top, latent, hidden.length > 0); // the μ and log σ² heads
  const decoder = [latent, ...[...hidden].reverse(), input];
  for (let i = 1; i < decoder.length; i++) flops += layer(decoder[i - 1], decoder[i], true);
  return flops;
}

/** GFLOP/s of a run at `samplesPerSecond`, each step `flopsPerStep` at `batch` samples. */
export function gflopsPerSecond(flopsPerStep: number, batch: number, samplesPerSecond: number) {
  return (flopsPerStep * samplesPerSecond) / batch / 1e9;
}
