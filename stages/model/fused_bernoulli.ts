/**
 * The Bernoulli negative log-likelihood of each row in one SIMD pass on the blas backend, and
 * its gradient in another (losses.ts and networks.ts use them there; see fused_support.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { defineBlasKernel } from "./blas_backend.ts";
import { hasKernel, kernelsOf, offsetOf } from "./fused_support.ts";
import { repeatRows } from "./repeat_rows.ts";

/** The Bernoulli negative log-likelihood of each row, and its logits' gradient. */
export const BERNOULLI_NLL = "PipelineBernoulliNll";
const BERNOULLI_NLL_GRAD = "PipelineBernoulliNllGrad";

/**
 * Whether bernoulliNllRows can run here: on the blas backend, for rows whose width is a
 * multiple of 4 (the SIMD lanes; 784-pixel images are).
 */
export function canFuseBernoulliNll(logits: tf.Tensor2D): boolean {
  return logits.shape[1] % 4 === 0 && hasKernel(BERNOULLI_NLL);
}

/**
 * Σ_pixels softplus(l) − x·l for each row of logits [rows, cols], in one pass, where x holds
 * one row for each `repeat` rows of logits (several decodings of one image); the gradient
 * dl = dy·(σ(l) − x) is a second kernel (registered below), and ∂x = −dy·l is taken only when
 * x needs one.
 */
export function bernoulliNllRows(logits: tf.Tensor2D, x: tf.Tensor2D, repeat = 1): tf.Tensor1D {
  const inputs = { logits, x } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(BERNOULLI_NLL, inputs, { repeat }) as tf.Tensor1D;
}

defineBlasKernel({
  kernelName: BERNOULLI_NLL,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { logits, x } = inputs as Record<string, tf.TensorInfo>;
    const { repeat } = attrs as unknown as { repeat: number };
    const [rows, cols] = logits.shape;
    if (x.shape[0] * repeat !== rows || x.shape[1] !== cols) {
      throw new Error(
        `bernoulliNllRows: x [${x.shape}] × ${repeat} does not fit [${rows}, ${cols}]`,
      );
    }
    const out = wasm.makeOutput([rows], "float32");
    kernelsOf(wasm).bernoulli_nll_rows(
      offsetOf(wasm, logits),
      offsetOf(wasm, x),
      offsetOf(wasm, out),
      rows,
      cols,
      repeat,
    );
    return out;
  },
});

defineBlasKernel({
  kernelName: BERNOULLI_NLL_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const { logits, x, dy } = inputs as Record<string, tf.TensorInfo>;
    const [rows, cols] = logits.shape;
    const out = wasm.makeOutput(logits.shape, "float32");
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    kernelsOf(wasm).bernoulli_nll_grad(at(logits), at(x), at(dy), at(out), rows, cols);
    return out;
  },
});

tf.registerGradient({
  kernelName: BERNOULLI_NLL,
  inputsToSave: ["logits", "x"],
  gradFunc: (dy, saved, attrs) => {
    const [logits, x] = saved as tf.Tensor2D[];
    const { repeat } = attrs as unknown as { repeat: number };
    const images = repeat === 1 ? x : repeatRows(x, repeat);
    const dx = () => tf.mul(tf.expandDims(dy as tf.Tensor, 1), tf.neg(logits));
    return {
      logits: () =>
        tf.engine().runKernel(
          BERNOULLI_NLL_GRAD,
          { logits, x: images, dy } as tf.NamedTensorMap,
          {},
        ),
      // Each image's gradient sums over its repeats.
      x: () => tf.sum(tf.reshape(dx(), [x.shape[0], repeat, x.shape[1]]), 1),
    };
  },
});

const BERNOULLI_RECON = "PipelineBernoulliRecon";

/**
 * For evaluation (no gradient): per row of logits [rows, cols], the Bernoulli negative
 * log-likelihood (as bernoulliNllRows) and the squared error Σ (x − σ(l))² of the pixel means,
 * in one pass. Runs where canFuseBernoulliNll does.
 */
export function bernoulliReconRows(
  logits: tf.Tensor2D,
  x: tf.Tensor2D,
): [tf.Tensor1D, tf.Tensor1D] {
  const inputs = { logits, x } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(BERNOULLI_RECON, inputs, {}) as [tf.Tensor1D, tf.Tensor1D];
}

defineBlasKernel({
  kernelName: BERNOULLI_RECON,
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const { logits, x } = inputs as Record<string, tf.TensorInfo>;
    const [rows, cols] = logits.shape;
    const [nll, mse] = [0, 1].map(() => wasm.makeOutput([rows], "float32"));
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    kernelsOf(wasm).bernoulli_recon_rows(at(logits), at(x), at(nll), at(mse), rows, cols);
    return [nll, mse];
  },
});
