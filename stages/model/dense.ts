import * as tf from "@tensorflow/tfjs-core";

/**
 * A dense layer, x·W (+ b), with a hand-written gradient.
 *
 * Why: tfjs's own matMul gradient multiplies with the transposeA / transposeB flags, and the
 * wasm backend runs flagged products on a slow generic loop instead of XNNPACK (measured
 * here: ~100 ms vs ~7 ms for 128×784 · 784×512). Transposing explicitly first keeps every
 * product on the fast path; the copy costs far less than it saves. The maths is unchanged:
 *   ∂x = dy·Wᵀ,  ∂W = xᵀ·dy,  ∂b = Σ_rows dy.
 */
const denseOp = tf.customGrad((...args) => {
  // customGrad passes the inputs, then a function that saves tensors for the backward pass.
  const save = args.pop() as tf.GradSaveFunc;
  const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D?];
  save([x, w]);
  const xw = tf.matMul(x, w);
  return {
    value: b ? tf.add(xw, b) : xw,
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      const dx = tf.matMul(dy2, tf.transpose(ws));
      const dw = tf.matMul(tf.transpose(xs), dy2);
      return b ? [dx, dw, tf.sum(dy2, 0)] : [dx, dw];
    },
  };
});

/** x [batch, in] · w [in, out] + b [out] → [batch, out]; without `b`, just x·w. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return (b ? denseOp(x, w, b) : denseOp(x, w)) as tf.Tensor2D;
}
