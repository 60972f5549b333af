/**
 * The likelihood behind metrics.json's nats, in words: which one, and whether it is a proper
 * log-likelihood for the evaluated pixels.
 */
import type { Model } from "../model/networks.ts";

/**
 * The sentence metrics.json opens with: which likelihood every nats figure comes from, and
 * whether it is a proper one for these data (BCE against grey levels is not).
 */
export function describeLikelihood(
  model: Model,
  binary: boolean,
  binarization: string,
  decoderLogVar: number | null,
): string {
  const pixels = `summed over the ${model.inputDim} pixels`;
  if (model.params.likelihood === "bernoulli") {
    const head =
      `bernoulli: −log p(x|z) = BCE from the decoder's logits (softplus(l) − x·l), ${pixels}`;
    return binary
      ? `${head}; the targets are binary (${binarization}), so this is a proper log-likelihood`
      : `${head}; the targets are grey levels in [0, 1], so this is the continuous-target ` +
        "BCE, a proper log-likelihood only for binary data: these nats are not those of a " +
        "normalized density of grey-level images";
  }
  const variance = model.params.gaussian.variance === "learned"
    ? `a learned shared log σ² = ${decoderLogVar}`
    : `a fixed σ = ${model.params.gaussian.sigma}`;
  return `gaussian: −log N(x; decoder mean, σ² I) ${pixels}, with ${variance}: a density ` +
    "of the pixel values as continuous numbers, in nats";
}

/** How the evaluated pixels came to be binary (or not), for describeLikelihood. */
export function describeBinarization(
  binarize: "none" | "static" | "dynamic",
  threshold: number | null,
  resampled: boolean,
): string {
  if (binarize === "static") return `thresholded at ${threshold} by prepare`;
  if (resampled) {
    return "drawn once as Bernoulli(grey level) from a seeded stream, as training binarized " +
      "dynamically";
  }
  return "binary as given";
}
