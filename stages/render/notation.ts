/**
 * How the report writes a run's quantities, from what its metrics.json says about the
 * model (evaluate records its kind), never from the config's name. A CVAE is scored with
 * its true label y, so its ELBO and importance-weighted bound bound log p(x | y), not
 * log p(x); where y enters (the prior, or the encoder and decoder) decides the rest.
 */
import { capabilitiesOf } from "../model/kinds.ts";

export interface Notation {
  /** What the ELBO and the IW bound bound: `log p(x)` or `log p(x | y)`. */
  evidence: string;
  posterior: string;
  likelihood: string;
  prior: string;
  /** The prior's law, for notes. */
  priorLaw: string;
  /** μ's squared distance from the prior mean, as kl_per_dim.csv's mean_mu_sq measures it. */
  muSquared: string;
}

/** From what it reads of a metrics.json: the model's kind, and whether it has a cvae block. */
export function notation(metrics: { model?: { kind: string }; cvae?: object }): Notation {
  const can = metrics.model && capabilitiesOf(metrics.model.kind);
  // A conditional model's evaluation writes a cvae section: its numbers use the true label.
  const conditional = can?.conditional || metrics.cvae !== undefined;
  // Where y enters: the encoder's and decoder's inputs, or the prior's mean μ^y.
  const networks = can?.labelInput, prior = can?.learnedPriorMean;
  return {
    evidence: conditional ? "log p(x | y)" : "log p(x)",
    posterior: networks ? "q(z|x,y)" : "q(z|x)",
    likelihood: networks ? "p(x|z,y)" : "p(x|z)",
    prior: prior ? "p(z|y)" : "p(z)",
    priorLaw: prior ? "p(z|y) = N(μ^y, I), y the true label" : "p(z) = N(0, I)",
    muSquared: prior ? "(μ − μ^y)²" : "μ²",
  };
}
