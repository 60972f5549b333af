/**
 * The Gaussian posterior's small ops in one kernel each on the blas backend: the sample
 * z = μ + ε·σ, and the regularizer with its logged parts (losses.ts's `regularizer`). On
 * [batch, latent] tensors these are a few hundred numbers, so the time was never the
 * arithmetic but the ~60 tfjs ops (and their tape bookkeeping) of the composite twins: about a
 * third of a training step of the default VAE once its products were BLAS's. Plain loops,
 * in float64, rounded once when stored (see fused_support.ts for the family).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { LossParams } from "../config_schema.ts";
import { defineBlasKernel, heapView, newOutput } from "./blas_backend.ts";
import { hasKernel } from "./fused_support.ts";
import { PENALTY_PART_NAMES, type RegTermName } from "./loss_parts.ts";

const REPARAMETERIZE = "PipelineReparameterize";
const PENALTY = "PipelineGaussianPenalty";
const PENALTY_GRAD = "PipelineGaussianPenaltyGrad";

/** Whether the active backend samples and penalizes in one kernel each. */
export function canFuseGaussian(): boolean {
  return hasKernel(PENALTY);
}

/** z = μ + ε·exp(½ log σ²); the gradient: ∂μ = dz, ∂ log σ² = ½·dz·(z − μ). */
export function reparameterizeKernel(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  eps: tf.Tensor2D,
): tf.Tensor2D {
  const inputs = { mu, logVar, eps } as unknown as tf.NamedTensorMap;
  return tf.engine().runKernel(REPARAMETERIZE, inputs, {}) as tf.Tensor2D;
}

defineBlasKernel({
  kernelName: REPARAMETERIZE,
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const { mu, logVar, eps } = inputs as Record<string, tf.TensorInfo>;
    const out = newOutput(wasm, mu.shape);
    const [m, lv, e] = [mu, logVar, eps].map((t) => heapView(wasm, t));
    for (let i = 0; i < m.length; i++) out.view[i] = m[i] + e[i] * Math.exp(0.5 * lv[i]);
    return out.info;
  },
});

tf.registerGradient({
  kernelName: REPARAMETERIZE,
  inputsToSave: ["mu"],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [mu, z] = saved as tf.Tensor2D[];
    return {
      mu: () => (dy as tf.Tensor).clone(),
      logVar: () => tf.mul(0.5, tf.mul(dy as tf.Tensor, tf.sub(z, mu))),
    };
  },
});

/** What the penalty kernel needs to know of LossParams. */
type PenaltyAttrs = Pick<LossParams, "regularizer" | "beta" | "wMu" | "wSigma" | "freeBits">;

/** The penalty kernel's packed output, in order: reg, the penalty's parts, kl. */
export const PENALTY_OUTPUTS: readonly RegTermName[] = ["reg", ...PENALTY_PART_NAMES, "kl"];

/**
 * PENALTY_OUTPUTS ([reg, muTerm, sigmaTerm, kl]), each a scalar batch mean in nats, as
 * losses.ts's `regularizer` defines them, from μ, log σ² and the prior mean μp (absent: 0).
 */
export function penaltyKernel(
  mu: tf.Tensor2D,
  logVar: tf.Tensor2D,
  priorMu: tf.Tensor2D | undefined,
  loss: LossParams,
): tf.Tensor1D {
  // A zero prior mean is passed as zeros: one kernel, whatever the prior (a few numbers).
  // tf.fill, not zerosLike(μ): the tape would take those zeros for a function of μ.
  const zeros = () => tf.fill(mu.shape, 0) as tf.Tensor2D;
  const inputs = { mu, logVar, priorMu: priorMu ?? zeros() } as tf.NamedTensorMap;
  const { regularizer, beta, wMu, wSigma, freeBits } = loss;
  const attrs = { regularizer, beta, wMu, wSigma, freeBits } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(PENALTY, inputs, attrs) as tf.Tensor1D;
}

/** μ − μp, log σ² and the batch size, read from the wasm heap. */
function readPosterior(backend: BackendWasm, inputs: Record<string, tf.TensorInfo>) {
  const { mu, logVar, priorMu } = inputs;
  const [batch, d] = mu.shape;
  const p = heapView(backend, priorMu);
  const delta = Float64Array.from(heapView(backend, mu), (v, i) => v - p[i]);
  return { delta, logVar: heapView(backend, logVar), batch, d };
}

/**
 * Per latent dimension j, the batch means of the four penalties' integrands:
 * ½δ², ½(σ² − log σ² − 1) (the KL's halves), δ² and (log σ²)² (eq. 3's), δ = μ − μp.
 */
function columnMeans(delta: Float64Array, logVar: Float32Array, batch: number, d: number) {
  const [klMu, klSigma, sqMu, sqLogVar] = [0, 1, 2, 3].map(() => new Float64Array(d));
  for (let i = 0; i < delta.length; i++) {
    const j = i % d;
    const lv = logVar[i];
    klMu[j] += (0.5 * delta[i] * delta[i]) / batch;
    klSigma[j] += (0.5 * (Math.exp(lv) - lv - 1)) / batch;
    sqMu[j] += (delta[i] * delta[i]) / batch;
    sqLogVar[j] += (lv * lv) / batch;
  }
  return { klMu, klSigma, sqMu, sqLogVar };
}

const total = (a: Float64Array) => a.reduce((s, v) => s + v, 0);

/** Whether dimension j's KL is at or over the free-bits floor (where tf.maximum passes dy). */
const overFloor = (c: ReturnType<typeof columnMeans>, j: number, floor: number) =>
  c.klMu[j] + c.klSigma[j] >= floor;

defineBlasKernel({
  kernelName: PENALTY,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const a = attrs as unknown as PenaltyAttrs;
    const { delta, logVar, batch, d } = readPosterior(
      wasm,
      inputs as Record<string, tf.TensorInfo>,
    );
    const c = columnMeans(delta, logVar, batch, d);
    const [klMu, klSigma] = [total(c.klMu), total(c.klSigma)];
    let terms: number[];
    switch (a.regularizer) {
      case "kl": {
        let floored = 0;
        for (let j = 0; j < d; j++) floored += Math.max(c.klMu[j] + c.klSigma[j], a.freeBits);
        terms = [a.beta * floored, klMu, klSigma];
        break;
      }
      case "split-kl":
        terms = [a.wMu * klMu + a.wSigma * klSigma, klMu, klSigma];
        break;
      case "separate-l2": {
        const [sqMu, sqLogVar] = [total(c.sqMu), total(c.sqLogVar)];
        terms = [a.wMu * sqMu + a.wSigma * sqLogVar, sqMu, sqLogVar];
        break;
      }
      case "none":
        terms = [0, klMu, klSigma];
    }
    const out = newOutput(wasm, [4]);
    out.view.set([...terms, klMu + klSigma]);
    return out.info;
  },
});

/**
 * ∂/∂μ and ∂/∂ log σ² of Σ_k dy[k]·[reg, muTerm, sigmaTerm, kl][k], [2, batch, d]:
 * each output is a weighted sum of the four column means, whose derivatives per element are
 * δ/B, ½(σ² − 1)/B, 2δ/B and 2·log σ²/B.
 */
defineBlasKernel({
  kernelName: PENALTY_GRAD,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const a = attrs as unknown as PenaltyAttrs;
    const given = inputs as Record<string, tf.TensorInfo>;
    const { delta, logVar, batch, d } = readPosterior(wasm, given);
    const [gReg, gMu, gSigma, gKl] = heapView(wasm, given.dy);
    const c = columnMeans(delta, logVar, batch, d);
    // The weight of each column mean in Σ dy·outputs, per dimension.
    const onKlMu = new Float64Array(d).fill(gKl);
    const onKlSigma = new Float64Array(d).fill(gKl);
    let [onSqMu, onSqLogVar] = [0, 0];
    for (let j = 0; j < d; j++) {
      switch (a.regularizer) {
        case "kl": {
          const reg = overFloor(c, j, a.freeBits) ? gReg * a.beta : 0;
          onKlMu[j] += reg + gMu;
          onKlSigma[j] += reg + gSigma;
          break;
        }
        case "split-kl":
          onKlMu[j] += gReg * a.wMu + gMu;
          onKlSigma[j] += gReg * a.wSigma + gSigma;
          break;
        case "separate-l2":
          [onSqMu, onSqLogVar] = [gReg * a.wMu + gMu, gReg * a.wSigma + gSigma];
          break;
        case "none":
          onKlMu[j] += gMu;
          onKlSigma[j] += gSigma;
      }
    }
    const out = newOutput(wasm, [2, batch, d]);
    const n = batch * d;
    for (let i = 0; i < n; i++) {
      const j = i % d;
      const lv = logVar[i];
      out.view[i] = (onKlMu[j] * delta[i] + 2 * onSqMu * delta[i]) / batch;
      out.view[n + i] = (onKlSigma[j] * 0.5 * (Math.exp(lv) - 1) + 2 * onSqLogVar * lv) / batch;
    }
    return out.info;
  },
});

tf.registerGradient({
  kernelName: PENALTY,
  inputsToSave: ["mu", "logVar", "priorMu"],
  gradFunc: (dy, saved, attrs) => {
    const [mu, logVar, priorMu] = saved as tf.Tensor2D[];
    const inputs = { mu, logVar, priorMu, dy } as tf.NamedTensorMap;
    const both = tf.engine().runKernel(PENALTY_GRAD, inputs, attrs) as tf.Tensor3D;
    const [dMu, dLogVar] = tf.unstack(both);
    return { mu: () => dMu, logVar: () => dLogVar, priorMu: () => tf.neg(dMu) };
  },
});
